// The DQL editor: CodeMirror 6 (vendor/codemirror-6.0.2, the global `CM`) with DQL highlighting,
// autocomplete of the commands, functions and fields the compiler knows (the page embeds them as JSON in
// #dql-vocabulary), Ctrl/Cmd+Enter to run, and the error the query API reports underlined at its line and
// column.
"use strict";

const TLEditor = (() => {
  const WORDS = ["and", "or", "xor", "not", "in", "true", "false", "null", "asc", "desc", "by", "from", "to"];
  let vocabulary = null;

  function vocab() {
    if (!vocabulary) {
      const source = document.getElementById("dql-vocabulary");
      vocabulary = source ? JSON.parse(source.textContent) : { commands: [], functions: [], aggregates: [], fields: [] };
      vocabulary.commandSet = new Set(vocabulary.commands.map((c) => c.toLowerCase()));
      vocabulary.functionSet = new Set([...vocabulary.functions, ...vocabulary.aggregates].map((f) => f.toLowerCase()));
    }
    return vocabulary;
  }

  function language() {
    const { StreamLanguage, tags } = window.CM;
    const v = vocab();
    return StreamLanguage.define({
      name: "dql",
      startState: () => ({ comment: false, command: true }),
      token(stream, state) {
        if (state.comment) {
          if (stream.skipTo("*/")) { stream.pos += 2; state.comment = false; } else stream.skipToEnd();
          return "comment";
        }
        if (stream.eatSpace()) return null;
        if (stream.match("//")) { stream.skipToEnd(); return "comment"; }
        if (stream.match("/*")) { state.comment = true; return "comment"; }
        if (stream.match(/^"""[^]*?"""/) || stream.match(/^"(?:[^"\\]|\\.)*"?/) || stream.match(/^'(?:[^'\\]|\\.)*'?/)) return "string";
        if (stream.match(/^`[^`]*`?/)) return "dqlField";
        if (stream.match(/^\$[A-Za-z_][A-Za-z0-9_]*/)) return "dqlVariable";
        if (stream.match(/^\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?:ns|us|ms|s|m|h|d|w)?(?![A-Za-z0-9_])/)) return "number";
        if (stream.match("|")) { state.command = true; return "dqlPipe"; }
        const word = stream.match(/^[A-Za-z_][A-Za-z0-9_.]*/);
        if (word) {
          const text = word[0].toLowerCase();
          const wasCommand = state.command;
          state.command = false;
          if (wasCommand && v.commandSet.has(text)) return "dqlCommand";
          if (stream.peek() === "(") return "dqlFunction";
          if (stream.peek() === ":") return "dqlParameter";
          if (WORDS.includes(text)) return "keyword";
          return "dqlField";
        }
        state.command = false;
        stream.next();
        return "operator";
      },
      tokenTable: {
        dqlCommand: tags.keyword,
        dqlFunction: tags.function(tags.variableName),
        dqlField: tags.propertyName,
        dqlVariable: tags.special(tags.variableName),
        dqlParameter: tags.attributeName,
        dqlPipe: tags.separator,
      },
    });
  }

  function highlight() {
    const { HighlightStyle, syntaxHighlighting, tags } = window.CM;
    return syntaxHighlighting(HighlightStyle.define([
      { tag: tags.keyword, color: "var(--accent)", fontWeight: "600" },
      { tag: tags.function(tags.variableName), color: "var(--high)" },
      { tag: tags.propertyName, color: "var(--text)" },
      { tag: tags.special(tags.variableName), color: "var(--ok)", fontWeight: "600" },
      { tag: tags.attributeName, color: "var(--muted)" },
      { tag: tags.string, color: "var(--ok)" },
      { tag: tags.number, color: "var(--medium)" },
      { tag: tags.comment, color: "var(--muted)", fontStyle: "italic" },
      { tag: tags.separator, color: "var(--accent)", fontWeight: "700" },
    ]));
  }

  function completions(context) {
    const v = vocab();
    const word = context.matchBefore(/[A-Za-z_][A-Za-z0-9_.]*/);
    if (!word && !context.explicit) return null;
    const from = word ? word.from : context.pos;
    const before = context.state.doc.sliceString(Math.max(0, from - 200), from);
    const atCommand = /(^|\|)\s*$/.test(before);
    const options = atCommand
      ? v.commands.map((label) => ({ label, type: "keyword", detail: "command", apply: `${label} ` }))
      : [
          ...v.functions.map((label) => ({ label, type: "function", detail: "function", apply: `${label}(` })),
          ...v.aggregates.map((label) => ({ label, type: "function", detail: "aggregation", apply: `${label}(` })),
          ...v.fields.map((field) => ({ label: field.name, type: "property", detail: field.type, info: field.doc })),
          ...WORDS.map((label) => ({ label, type: "keyword" })),
        ];
    return { from, options, validFor: /^[A-Za-z0-9_.]*$/ };
  }

  const theme = () => window.CM.EditorView.theme({
    "&": { backgroundColor: "var(--code-bg)", color: "var(--text)", border: "1px solid var(--border)", borderRadius: "var(--radius)" },
    "&.cm-focused": { outline: "2px solid var(--focus)" },
    ".cm-content": { fontFamily: "var(--mono)", fontSize: "13px", caretColor: "var(--text)" },
    ".cm-gutters": { backgroundColor: "var(--surface-2)", color: "var(--muted)", border: "none" },
    ".cm-activeLine, .cm-activeLineGutter": { backgroundColor: "transparent" },
    ".cm-tooltip": { backgroundColor: "var(--surface)", color: "var(--text)", border: "1px solid var(--border)" },
  });

  // An editor in `parent` holding `text`; `onRun()` on Ctrl/Cmd+Enter, `onChange(text)` on edits.
  function create(parent, text, { onRun, onChange, label } = {}) {
    const { EditorView, EditorState, basicSetup, keymap, Prec, autocompletion, lintGutter } = window.CM;
    const view = new EditorView({
      parent,
      state: EditorState.create({
        doc: text,
        extensions: [
          Prec.highest(keymap.of([{ key: "Mod-Enter", preventDefault: true, run: () => { if (onRun) onRun(); return true; } }])),
          basicSetup,
          language(),
          highlight(),
          theme(),
          autocompletion({ override: [completions], activateOnTyping: true }),
          lintGutter(),
          EditorView.lineWrapping,
          EditorView.contentAttributes.of({ "aria-label": label || "DQL query" }),
          EditorView.updateListener.of((update) => { if (update.docChanged && onChange) onChange(update.state.doc.toString()); }),
        ],
      }),
    });
    return {
      view,
      text: () => view.state.doc.toString(),
      set(value) { view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: value } }); },
      // Underline the error at 1-based `line`/`column` (to the end of the word there).
      error(line, column, message) {
        const doc = view.state.doc;
        let from = 0, to = doc.length;
        if (line >= 1 && line <= doc.lines) {
          const at = doc.line(line);
          from = Math.min(at.to, at.from + Math.max(0, column - 1));
          const rest = doc.sliceString(from, at.to);
          const word = rest.match(/^[A-Za-z0-9_.$"'`]+/);
          to = Math.max(from + 1, from + (word ? word[0].length : 1));
          if (to > doc.length) { from = Math.max(0, doc.length - 1); to = doc.length; }
        }
        view.dispatch(window.CM.setDiagnostics(view.state, [{ from, to, severity: "error", message }]));
      },
      clear() { view.dispatch(window.CM.setDiagnostics(view.state, [])); },
      focus() { view.focus(); },
    };
  }

  return { create };
})();
window.TLEditor = TLEditor;
