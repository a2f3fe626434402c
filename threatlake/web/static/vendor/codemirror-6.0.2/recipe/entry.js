// The one CodeMirror 6 bundle Threatlake ships: everything the notebook editor uses, as the global `CM`.
export { EditorView, keymap, placeholder } from "@codemirror/view";
export { EditorState, Prec, Compartment } from "@codemirror/state";
export { basicSetup } from "codemirror";
export { StreamLanguage, HighlightStyle, syntaxHighlighting } from "@codemirror/language";
export { autocompletion, completeFromList } from "@codemirror/autocomplete";
export { setDiagnostics, lintGutter } from "@codemirror/lint";
export { tags } from "@lezer/highlight";
