// The dashboard page (/dashboards/{id}): tiles on a 24-column grid, each running its query through the query
// endpoint (at most a few at a time: TLResults bounds it) and drawing its visualization; variables as
// pickers (their values in the URL); refresh without reloading; an edit mode to add, edit, move, resize and
// remove tiles (pointer or buttons), saved with the version read. Every tile element carries
// data-tile-id (its key in the document) and data-state="loading|ok|empty|error".
"use strict";

(() => {
  const root = document.querySelector("[data-dashboard]");
  if (!root) return;
  const COLUMNS = 24;
  const $ = (selector, scope = root) => scope.querySelector(selector);
  const $$ = (selector, scope = root) => Array.from(scope.querySelectorAll(selector));
  const doc = JSON.parse($("#dashboard-content").textContent);
  doc.tiles = doc.tiles || {};
  doc.layouts = doc.layouts || {};
  const grid = $("[data-grid]");
  const status = $("[data-save-status]");
  const dialog = $("#tile-dialog");
  let version = Number(root.dataset.version);
  let dirty = false;
  let generation = 0;
  let timer = null;

  function say(text, kind = "") { status.textContent = text; status.dataset.kind = kind; }
  function markDirty() { dirty = true; say("Unsaved changes", "warn"); }
  function timeframe() { return { from: root.dataset.from, to: root.dataset.to }; }
  function tileElement(key) { return $$("[data-grid] > .tile").find((tile) => tile.dataset.tileId === key); }

  // -- variables -------------------------------------------------------------------------------------------
  function values() {
    const found = {};
    for (const picker of $$("[data-variable]")) {
      const key = picker.dataset.variable;
      if (picker.tagName === "SELECT" && picker.multiple) found[key] = Array.from(picker.selectedOptions).map((o) => o.value);
      else found[key] = picker.value;
    }
    return found;
  }
  function keepInUrl() {
    const url = new URL(window.location.href);
    for (const key of [...url.searchParams.keys()]) if (key.startsWith("var.")) url.searchParams.delete(key);
    for (const [key, value] of Object.entries(values())) {
      for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(`var.${key}`, item);
    }
    window.history.replaceState(null, "", url);
  }
  async function fillQueryVariables() {
    const pickers = $$("[data-variable][data-variable-query]");
    await Promise.all(pickers.map(async (picker) => {
      const chosen = new Set(JSON.parse(picker.dataset.chosen || "[]"));
      try {
        const result = await TLResults.run(root.dataset.queryUrl, picker.dataset.variableQuery, timeframe());
        const first = (result.records || []).map((record) => Object.values(record)[0]);
        const choices = [...new Set(first.filter((v) => v !== null && v !== undefined).map(String))];
        picker.replaceChildren(...choices.map((choice) => {
          const option = new Option(choice, choice);
          option.selected = chosen.size ? chosen.has(choice) : picker.multiple;
          return option;
        }));
        if (!picker.multiple && !chosen.size && choices.length) picker.value = choices[0];
      } catch (failure) {
        picker.title = `Its query failed: ${failure.message}`;
      }
    }));
  }

  // -- tiles -----------------------------------------------------------------------------------------------
  async function runTile(element, current) {
    const key = element.dataset.tileId;
    const tile = doc.tiles[key];
    if (!tile || tile.type !== "data") return;
    const body = $("[data-result]", element);
    element.dataset.state = "loading";
    body.setAttribute("aria-busy", "true");
    try {
      const query = TLResults.substitute(tile.query || "", values());
      const result = await TLResults.run(root.dataset.queryUrl, query, timeframe(), {
        maxRecords: (tile.querySettings && tile.querySettings.maxResultRecords) || 1000,
      });
      if (current !== generation) return;
      element.dataset.state = await TLResults.draw(body, result, element.dataset.visualization || "table", {
        settings: tile.visualizationSettings || {},
      });
    } catch (failure) {
      if (current !== generation) return;
      element.dataset.state = "error";
      TLResults.showError(body, failure);
    } finally {
      body.removeAttribute("aria-busy");
    }
  }
  // Re-runs every data tile; the dashboard carries data-settled once they have all finished.
  async function refresh() {
    generation += 1;
    const current = generation;
    delete root.dataset.settled;
    await Promise.all($$("[data-grid] > .tile[data-tile-type=data]").map((tile) => runTile(tile, current)));
    if (current === generation) root.dataset.settled = "";
  }

  // -- layout ----------------------------------------------------------------------------------------------
  function place(element) {
    const box = doc.layouts[element.dataset.tileId];
    element.style.gridColumn = `${box.x + 1} / span ${box.w}`;
    element.style.gridRow = `${box.y + 1} / span ${box.h}`;
    const label = $("[data-layout-label]", element);
    if (label) label.textContent = `x ${box.x}, y ${box.y}, ${box.w}×${box.h}`;
  }
  function change(key, next) {
    const box = doc.layouts[key];
    const w = Math.max(1, Math.min(COLUMNS, next.w ?? box.w));
    const h = Math.max(1, Math.min(200, next.h ?? box.h));
    const x = Math.max(0, Math.min(COLUMNS - w, next.x ?? box.x));
    const y = Math.max(0, next.y ?? box.y);
    if (x === box.x && y === box.y && w === box.w && h === box.h) return;
    doc.layouts[key] = { ...box, x, y, w, h };
    place(tileElement(key));
    markDirty();
  }
  const STEPS = {
    left: { x: -1 }, right: { x: 1 }, up: { y: -1 }, down: { y: 1 },
    narrower: { w: -1 }, wider: { w: 1 }, shorter: { h: -1 }, taller: { h: 1 },
  };
  function step(key, name) {
    const box = doc.layouts[key];
    const delta = STEPS[name];
    change(key, Object.fromEntries(Object.entries(delta).map(([field, by]) => [field, box[field] + by])));
  }
  function cell() {
    const style = getComputedStyle(grid);
    const gap = parseFloat(style.columnGap) || 0;
    return { width: (grid.clientWidth + gap) / COLUMNS, height: (parseFloat(style.gridAutoRows) || 40) + (parseFloat(style.rowGap) || 0) };
  }
  grid.addEventListener("pointerdown", (event) => {
    if (!root.classList.contains("editing")) return;
    const element = event.target.closest(".tile");
    const resizing = event.target.closest("[data-resize]");
    if (!element || (!resizing && (!event.target.closest(".tile-head") || event.target.closest("button, input, select")))) return;
    event.preventDefault();
    const key = element.dataset.tileId;
    const start = { ...doc.layouts[key] };
    const size = cell();
    const origin = { x: event.clientX, y: event.clientY };
    element.setPointerCapture(event.pointerId);
    element.classList.add("dragging");
    const move = (moveEvent) => {
      const dx = Math.round((moveEvent.clientX - origin.x) / size.width);
      const dy = Math.round((moveEvent.clientY - origin.y) / size.height);
      if (resizing) change(key, { w: start.w + dx, h: start.h + dy });
      else change(key, { x: start.x + dx, y: start.y + dy });
    };
    const up = () => {
      element.classList.remove("dragging");
      element.removeEventListener("pointermove", move);
      element.removeEventListener("pointerup", up);
      element.removeEventListener("pointercancel", up);
    };
    element.addEventListener("pointermove", move);
    element.addEventListener("pointerup", up);
    element.addEventListener("pointercancel", up);
  });

  // -- adding and editing tiles ----------------------------------------------------------------------------
  function nextKey() {
    const numbers = Object.keys(doc.tiles).map(Number).filter(Number.isInteger);
    let key = numbers.length ? Math.max(...numbers) + 1 : 0;
    while (String(key) in doc.tiles) key += 1;
    return String(key);
  }
  function bottom() { return Math.max(0, ...Object.values(doc.layouts).map((box) => box.y + box.h)); }
  async function renderMarkdown(text) {
    const response = await fetch(root.dataset.markdownUrl, {
      method: "POST", credentials: "same-origin", body: new URLSearchParams({ markdown: text }),
      headers: { "X-CSRF-Token": document.body.dataset.csrf || "" },
    });
    return response.ok ? response.text() : "";
  }
  function build(key) {
    const tile = doc.tiles[key];
    const element = document.getElementById("tile-template").content.firstElementChild.cloneNode(true);
    element.dataset.tileId = key;
    element.dataset.tileType = tile.type;
    grid.append(element);
    return element;
  }
  async function show(element) {
    const key = element.dataset.tileId;
    const tile = doc.tiles[key];
    $("h3", element).textContent = tile.title || (tile.type === "markdown" ? "" : "Untitled tile");
    element.dataset.tileType = tile.type;
    place(element);
    if (tile.type === "markdown") {
      $("[data-result]", element).innerHTML = await renderMarkdown(tile.content || "");
      element.dataset.state = "ok";
    } else {
      const known = $$("#tile-visualization option").map((option) => option.value);
      element.dataset.visualization = known.includes(tile.visualization) ? tile.visualization : "table";
      await runTile(element, generation);
    }
  }
  function openDialog(kind, key) {
    const form = $("form", dialog);
    const tile = key ? doc.tiles[key] : { type: kind, title: "", query: "fetch security.events\n| summarize count(), by:{event.provider}", visualization: "table", content: "" };
    form.reset();
    form.dataset.key = key || "";
    form.dataset.kind = tile.type;
    form.elements.title.value = tile.title || "";
    form.elements.query.value = tile.type === "markdown" ? tile.content || "" : tile.query || "";
    form.elements.visualization.value = tile.visualization || "table";
    $$("[data-data-only]", dialog).forEach((node) => { node.hidden = tile.type !== "data"; });
    $("#tile-dialog-title").textContent = key ? "Edit tile" : kind === "markdown" ? "Add a markdown tile" : "Add a tile";
    $("[data-query-label]", dialog).textContent = tile.type === "markdown" ? "Markdown" : "DQL query";
    dialog.showModal();
    form.elements.query.focus();
  }
  $("form", dialog).addEventListener("submit", async (event) => {
    if (event.submitter && event.submitter.value === "cancel") return;
    event.preventDefault();
    const form = event.target;
    let key = form.dataset.key;
    const fresh = !key;
    if (fresh) {
      key = nextKey();
      doc.tiles[key] = { type: form.dataset.kind };
      if (form.dataset.kind === "data") Object.assign(doc.tiles[key], { visualizationSettings: {}, querySettings: {} });
      doc.layouts[key] = { x: 0, y: bottom(), w: form.dataset.kind === "markdown" ? 24 : 12, h: form.dataset.kind === "markdown" ? 2 : 6 };
    }
    const tile = doc.tiles[key];
    tile.title = form.elements.title.value;
    if (tile.type === "markdown") tile.content = form.elements.query.value;
    else { tile.query = form.elements.query.value; tile.visualization = form.elements.visualization.value; }
    dialog.close();
    markDirty();
    const element = fresh ? build(key) : tileElement(key);
    await show(element);
    element.scrollIntoView({ block: "nearest" });
  });

  async function save() {
    say("Saving…");
    try {
      version = await TLResults.save(root.dataset.saveUrl, $("#doc-name").value, version, doc);
      root.dataset.version = String(version);
      dirty = false;
      say(`Saved (version ${version})`, "ok");
    } catch (error) {
      say(error.message, "error");
    }
  }


  // -- wiring ----------------------------------------------------------------------------------------------
  root.addEventListener("click", (event) => {
    const button = event.target.closest("[data-action]");
    if (!button) return;
    const tile = button.closest(".tile");
    const action = button.dataset.action;
    if (action === "refresh") refresh();
    else if (action === "save") save();
    else if (action === "edit") {
      const editing = root.classList.toggle("editing");
      button.setAttribute("aria-pressed", String(editing));
    } else if (action === "add-tile") openDialog("data");
    else if (action === "add-markdown") openDialog("markdown");
    else if (action === "edit-tile") openDialog(null, tile.dataset.tileId);
    else if (action === "remove-tile") {
      delete doc.tiles[tile.dataset.tileId];
      delete doc.layouts[tile.dataset.tileId];
      tile.remove();
      markDirty();
    } else if (action in STEPS) step(tile.dataset.tileId, action);
  });
  root.addEventListener("input", (event) => { if (event.target.matches("#doc-name")) markDirty(); });
  root.addEventListener("submit", (event) => {
    if (event.target.matches("[data-variables]")) { event.preventDefault(); keepInUrl(); refresh(); }
  });
  root.addEventListener("change", (event) => {
    if (event.target.matches("[data-variable]")) { keepInUrl(); refresh(); }
    if (event.target.matches("[data-auto-refresh]")) {
      if (timer) clearInterval(timer);
      const seconds = Number(event.target.value);
      timer = seconds ? setInterval(refresh, seconds * 1000) : null;
    }
  });
  window.addEventListener("beforeunload", (event) => { if (dirty) { event.preventDefault(); event.returnValue = ""; } });

  $$("[data-grid] > .tile").forEach(place);
  const editButton = $("[data-action=edit]");
  if (editButton && new URLSearchParams(window.location.search).get("edit") === "1") {
    root.classList.add("editing");
    editButton.setAttribute("aria-pressed", "true");
  }
  fillQueryVariables().then(refresh);
})();
