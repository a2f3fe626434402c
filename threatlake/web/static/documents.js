// The notebook and dashboard lists: importing a file fills the form (name from the file name, the document
// into the text area), so the import is one ordinary form post.
"use strict";

document.addEventListener("change", async (event) => {
  const input = event.target.closest("[data-import-file]");
  if (!input || !input.files.length) return;
  const form = input.closest("[data-import-form]");
  const file = input.files[0];
  form.elements.content.value = await file.text();
  if (!form.elements.name.value) form.elements.name.value = file.name.replace(/\.json$/i, "");
});
