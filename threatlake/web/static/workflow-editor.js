// The workflow editor: the definition's <textarea> becomes a CodeMirror 6 editor (vendor/codemirror-6.0.2,
// the global `CM`) with YAML highlighting (and `{{ ... }}` templates marked), the problems the server found
// underlined at their line (#workflow-problems), Ctrl/Cmd+S to save. Without JavaScript the textarea works.
"use strict";

(() => {
  const area = document.getElementById("workflow-yaml");
  if (!area || !window.CM) return;
  const { EditorView, EditorState, basicSetup, keymap, Prec, StreamLanguage, HighlightStyle, syntaxHighlighting,
    tags, setDiagnostics, lintGutter } = window.CM;

  // Block scalars (`key: |-` and the more indented lines after it) are text; a plain value runs to a
  // comment or a template.
  const yaml = StreamLanguage.define({
    name: "yaml",
    startState: () => ({ value: false, indent: 0, block: -1 }),
    token(stream, state) {
      if (stream.sol()) {
        state.value = false;
        state.indent = stream.indentation();
        if (state.block >= 0 && (state.indent > state.block || stream.match(/^\s*$/, false))) {
          stream.skipToEnd();
          return "string";
        }
        state.block = -1;
      }
      if (stream.eatSpace()) return null;
      if (stream.match(/^#.*/)) return "comment";
      if (stream.match(/^\{\{.*?\}\}/) || stream.match(/^\{%.*?%\}/)) return "template";
      if (!state.value && stream.match(/^-(?=\s|$)/)) return "punctuation";
      if (!state.value && stream.match(/^(?:"[^"]*"|'[^']*'|[^\s#:{}\[\],][^#:]*?)(?=\s*:(\s|$))/)) return "key";
      if (stream.match(/^:(?=\s|$)/)) { state.value = true; return "punctuation"; }
      if (stream.match(/^[|>][-+]?\s*$/)) { state.block = state.indent; return "punctuation"; }
      if (stream.match(/^"(?:[^"\\]|\\.)*"?/) || stream.match(/^'(?:[^']|'')*'?/)) return "string";
      if (stream.match(/^(?:true|false|null|~)(?=\s*(?:#|$|[,\]}]))/)) return "atom";
      if (stream.match(/^-?\d+(?:\.\d+)?(?=\s*(?:#|$|[,\]}]))/)) return "number";
      if (stream.match(/^[{}\[\],]/)) return "punctuation";
      if (!stream.match(/^.+?(?=\{\{|\{%|\s#|[,\]}]|$)/)) stream.next();
      return "string";
    },
    tokenTable: { key: tags.propertyName, template: tags.special(tags.string), atom: tags.bool,
      punctuation: tags.punctuation },
  });
  const style = syntaxHighlighting(HighlightStyle.define([
    { tag: tags.propertyName, color: "var(--accent)", fontWeight: "600" },
    { tag: tags.string, color: "var(--text)" },
    { tag: tags.special(tags.string), color: "var(--high)", fontWeight: "600" },
    { tag: tags.number, color: "var(--medium)" },
    { tag: tags.bool, color: "var(--ok)" },
    { tag: tags.comment, color: "var(--muted)", fontStyle: "italic" },
    { tag: tags.punctuation, color: "var(--muted)" },
  ]));
  const theme = EditorView.theme({
    "&": { backgroundColor: "var(--code-bg)", color: "var(--text)", border: "1px solid var(--border)", borderRadius: "var(--radius)" },
    "&.cm-focused": { outline: "2px solid var(--focus)" },
    ".cm-gutters": { backgroundColor: "var(--surface-2)", color: "var(--muted)", border: "none" },
    ".cm-tooltip": { backgroundColor: "var(--surface)", color: "var(--text)", border: "1px solid var(--border)" },
  });

  const form = area.form;
  const holder = document.createElement("div");
  holder.className = "wf-editor";
  holder.dataset.editor = "yaml";
  area.after(holder);
  area.hidden = true;
  const view = new EditorView({
    parent: holder,
    state: EditorState.create({
      doc: area.value,
      extensions: [
        Prec.highest(keymap.of([{ key: "Mod-s", preventDefault: true, run: () => { if (!area.readOnly) form.requestSubmit(); return true; } }])),
        basicSetup, yaml, style, theme, lintGutter(), EditorView.lineWrapping,
        EditorState.readOnly.of(area.readOnly),
        EditorView.contentAttributes.of({ "aria-label": "Workflow definition in YAML" }),
        EditorView.updateListener.of((update) => { if (update.docChanged) area.value = update.state.doc.toString(); }),
      ],
    }),
  });

  const source = document.getElementById("workflow-problems");
  const problems = source ? JSON.parse(source.textContent) : [];
  const doc = view.state.doc;
  const diagnostics = problems.filter((p) => p.line >= 1 && p.line <= doc.lines).map((p) => {
    const line = doc.line(p.line);
    const indent = line.text.length - line.text.trimStart().length;
    return { from: line.from + indent, to: Math.max(line.from + indent + 1, line.to), severity: "error",
      message: `${p.task ? `task '${p.task}': ` : ""}${p.path}: ${p.message}` };
  });
  if (diagnostics.length) {
    view.dispatch(setDiagnostics(view.state, diagnostics));
    view.dispatch({ selection: { anchor: diagnostics[0].from }, scrollIntoView: true });
  }
  document.querySelectorAll("[data-goto-line]").forEach((link) => link.addEventListener("click", (event) => {
    event.preventDefault();
    const number = Number(link.dataset.gotoLine);
    if (number >= 1 && number <= view.state.doc.lines) {
      view.dispatch({ selection: { anchor: view.state.doc.line(number).from }, scrollIntoView: true });
      view.focus();
    }
  }));
})();
