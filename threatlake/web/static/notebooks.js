// The notebook page (/notebooks/{id}): DQL sections with the editor, results as a table and a chart, +/−
// pivots, CSV/JSON downloads; markdown sections; add, move, remove sections; save with the version read
// (a conflict says so). Each DQL section carries data-state="loading|ok|empty|error" once run.
"use strict";

(() => {
  const root = document.querySelector("[data-notebook]");
  if (!root) return;
  const $ = (selector, scope = root) => scope.querySelector(selector);
  const $$ = (selector, scope = root) => Array.from(scope.querySelectorAll(selector));
  const content = JSON.parse($("#notebook-content").textContent);
  const originals = new Map((content.sections || []).map((section) => [section.id, section]));
  const editors = new Map();
  const results = new Map();
  const status = $("[data-save-status]");
  let version = Number(root.dataset.version);
  let dirty = false;

  function say(text, kind = "") { status.textContent = text; status.dataset.kind = kind; }
  function markDirty() { dirty = true; say("Unsaved changes", "warn"); }

  function timeframe(section) {
    if (root.dataset.from) return { from: root.dataset.from, to: root.dataset.to };
    const original = originals.get(section.dataset.sectionId) || {};
    const own = original.state && original.state.input && original.state.input.timeframe;
    const fallback = content.defaultTimeframe || {};
    const chosen = own && own.from ? own : fallback;
    return { from: chosen.from || root.dataset.defaultFrom, to: chosen.to || "now()" };
  }

  async function run(section) {
    const editor = editors.get(section);
    const query = editor ? editor.text() : $("[data-source]", section).value;
    const target = $("[data-result]", section);
    const visualization = $("[data-visualization]", section).value;
    if (editor) editor.clear();
    section.dataset.state = "loading";
    target.setAttribute("aria-busy", "true");
    try {
      const result = await TLResults.run(root.dataset.queryUrl, query, timeframe(section));
      results.set(section, result);
      section.dataset.state = await TLResults.draw(target, result, visualization, {
        withTable: visualization !== "table",
        onPivot: (field, value, include) => {
          const next = TLResults.pivot(query, field, value, include);
          if (editor) editor.set(next); else $("[data-source]", section).value = next;
          markDirty();
          run(section);
        },
      });
    } catch (failure) {
      results.delete(section);
      section.dataset.state = "error";
      TLResults.showError(target, failure);
      if (editor && failure.line) editor.error(failure.line, failure.column, failure.message);
    } finally {
      target.removeAttribute("aria-busy");
    }
  }

  function setUpDql(section) {
    const source = $("[data-source]", section);
    if (window.CM && window.TLEditor) {
      const editor = TLEditor.create($("[data-editor]", section), source.value, {
        onRun: () => run(section),
        onChange: markDirty,
        label: `DQL query of ${$(".section-title", section).value || "this section"}`,
      });
      source.hidden = true;
      editors.set(section, editor);
    } else {
      source.addEventListener("input", markDirty);
      source.addEventListener("keydown", (event) => {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); run(section); }
      });
    }
    $("[data-visualization]", section).addEventListener("change", () => {
      markDirty();
      const result = results.get(section);
      if (result) run(section);
    });
  }

  async function renderMarkdown(section) {
    const text = $("[data-markdown]", section).value;
    const response = await fetch(root.dataset.markdownUrl, {
      method: "POST", credentials: "same-origin", body: new URLSearchParams({ markdown: text }),
      headers: { "X-CSRF-Token": document.body.dataset.csrf || "" },
    });
    $("[data-rendered]", section).innerHTML = response.ok ? await response.text() : "";
  }

  function add(kind) {
    const template = document.getElementById(`${kind}-section-template`);
    const section = template.content.firstElementChild.cloneNode(true);
    section.dataset.sectionId = `section-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    $("[data-sections]").append(section);
    if (kind === "dql") { setUpDql(section); const editor = editors.get(section); if (editor) editor.focus(); }
    else { $("[data-markdown]", section).hidden = false; $("[data-markdown]", section).focus(); }
    markDirty();
    return section;
  }

  function documentNow() {
    const sections = $$("[data-sections] > .nb-section").map((section) => {
      const id = section.dataset.sectionId;
      const original = structuredClone(originals.get(id) || { id, type: section.dataset.type });
      const title = $(".section-title", section);
      if (title) original.title = title.value;
      if (section.dataset.type === "dql") {
        const editor = editors.get(section);
        original.state = original.state || {};
        original.state.input = original.state.input || {};
        original.state.input.value = editor ? editor.text() : $("[data-source]", section).value;
        original.state.visualization = $("[data-visualization]", section).value;
      } else if (section.dataset.type === "markdown") {
        original.markdown = $("[data-markdown]", section).value;
      }
      return original;
    });
    return { ...content, sections };
  }

  async function save() {
    say("Saving…");
    try {
      version = await TLResults.save(root.dataset.saveUrl, $("#doc-name").value, version, documentNow());
      root.dataset.version = String(version);
      dirty = false;
      say(`Saved (version ${version})`, "ok");
    } catch (error) {
      say(error.message, "error");
    }
  }


  root.addEventListener("click", (event) => {
    const button = event.target.closest("[data-action]");
    if (!button) return;
    const section = button.closest(".nb-section");
    const action = button.dataset.action;
    if (action === "run") run(section);
    else if (action === "run-all") $$("[data-sections] > .nb-section[data-type=dql]").forEach(run);
    else if (action === "save") save();
    else if (action === "add-dql") add("dql");
    else if (action === "add-markdown") add("markdown");
    else if (action === "csv" || action === "json") {
      const result = results.get(section);
      if (result) TLResults.download(result, action, $(".section-title", section).value || "result");
    } else if (action === "up" && section.previousElementSibling) { section.previousElementSibling.before(section); markDirty(); }
    else if (action === "down" && section.nextElementSibling) { section.nextElementSibling.after(section); markDirty(); }
    else if (action === "remove") { section.remove(); markDirty(); }
    else if (action === "edit-markdown") {
      const area = $("[data-markdown]", section);
      area.hidden = !area.hidden;
      button.textContent = area.hidden ? "Edit" : "Done";
      if (area.hidden) renderMarkdown(section); else area.focus();
    }
  });
  root.addEventListener("input", (event) => { if (event.target.matches(".section-title, #doc-name, [data-markdown]")) markDirty(); });
  window.addEventListener("beforeunload", (event) => { if (dirty) { event.preventDefault(); event.returnValue = ""; } });

  const dql = $$("[data-sections] > .nb-section[data-type=dql]");
  dql.forEach(setUpDql);
  // The notebook carries data-settled once every section has run after opening.
  Promise.all(dql.map(run)).then(() => { root.dataset.settled = ""; });
})();
