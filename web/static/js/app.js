// FormLens portal behaviour: drag-and-drop uploads with progress, and linking field rows to
// their boxes on the page images. No inline scripts (the CSP forbids them).
"use strict";

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

// --- uploads: one request per file, each with its own progress bar -------------------------
function uploadFile(section, file, list) {
  const row = document.createElement("li");
  const name = document.createElement("span");
  name.textContent = file.name;
  const bar = document.createElement("progress");
  bar.max = 100; bar.value = 0;
  const state = document.createElement("span");
  state.textContent = "uploading…";
  row.append(name, bar, state);
  list.prepend(row);

  const form = new FormData();
  form.append("file", file);
  const type = section.querySelector('select[name="type"]');
  if (type && type.value) form.append("type", type.value);

  const xhr = new XMLHttpRequest();
  xhr.open("POST", section.dataset.uploadUrl);
  xhr.setRequestHeader("X-CSRFToken", csrfToken());
  xhr.setRequestHeader("Accept", "application/json");
  xhr.upload.addEventListener("progress", (event) => {
    if (event.lengthComputable) bar.value = Math.round((event.loaded / event.total) * 100);
  });
  xhr.addEventListener("load", () => {
    let body = {};
    try { body = JSON.parse(xhr.responseText); } catch (error) { body = {}; }
    bar.value = 100;
    if (xhr.status === 200 || xhr.status === 201) {
      state.className = "good";
      state.textContent = "";
      const link = document.createElement("a");
      link.href = body.url;
      link.textContent = xhr.status === 201 ? "queued — open" : "uploaded before — open";
      state.append(link);
      refreshRows();
    } else {
      state.className = "bad";
      state.textContent = (body.error && body.error.message) || `failed (${xhr.status})`;
    }
  });
  xhr.addEventListener("error", () => {
    state.className = "bad";
    state.textContent = "network error: the file was not uploaded";
  });
  xhr.send(form);
}

function refreshRows() {
  const rows = document.getElementById("document-rows");
  if (rows && window.htmx) {
    window.htmx.ajax("GET", window.location.pathname.replace(/\/?$/, "/rows") + window.location.search,
                     { target: "#document-rows", swap: "outerHTML" });
  }
}

function setUpUpload() {
  const section = document.getElementById("upload");
  if (!section) return;
  const zone = section.querySelector(".dropzone");
  const input = section.querySelector('input[type="file"]');
  const list = section.querySelector(".upload-list");
  const send = (files) => Array.from(files).forEach((file) => uploadFile(section, file, list));
  zone.addEventListener("click", () => input.click());
  zone.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") { event.preventDefault(); input.click(); }
  });
  input.addEventListener("change", () => { send(input.files); input.value = ""; });
  zone.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    send(event.dataTransfer.files);
  });
}

// --- fields and boxes: hovering or focusing one highlights the other ------------------------
function highlight(field, on) {
  document.querySelectorAll(`[data-field="${CSS.escape(field)}"]`).forEach((element) => {
    element.classList.toggle("hot", on);
  });
}

function setUpBoxes() {
  document.querySelectorAll("[data-field]").forEach((element) => {
    const field = element.dataset.field;
    ["mouseenter", "focusin"].forEach((name) => element.addEventListener(name, () => highlight(field, true)));
    ["mouseleave", "focusout"].forEach((name) => element.addEventListener(name, () => highlight(field, false)));
    if (element.tagName.toLowerCase() === "rect") {
      element.addEventListener("click", () => {
        const target = document.querySelector(`.fields [data-field="${CSS.escape(field)}"]`);
        if (target) {
          target.scrollIntoView({ block: "center", behavior: "smooth" });
          const input = target.querySelector("input, textarea, select");
          (input || target).focus();
        }
      });
    }
  });
  document.querySelectorAll(".fields [data-field]").forEach((row) => {
    row.addEventListener("focusin", () => {
      const rect = document.querySelector(`rect[data-field="${CSS.escape(row.dataset.field)}"]`);
      if (rect) rect.closest(".page").scrollIntoView({ block: "nearest", behavior: "smooth" });
    });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  setUpUpload();
  setUpBoxes();
});
