// The review page: "Add line" for line items (the server always renders one blank row, so
// the form works without this script too). Field/box linking lives in app.js.
"use strict";

function addLine(table) {
  const rows = table.querySelectorAll("tbody tr.item-row");
  const last = rows[rows.length - 1];
  const next = rows.length;
  const copy = last.cloneNode(true);
  copy.querySelectorAll("[name], [id], [data-field], [aria-describedby]").forEach((element) => {
    ["name", "id", "data-field", "aria-describedby"].forEach((attribute) => {
      const value = element.getAttribute(attribute);
      if (value) element.setAttribute(attribute, value.replace(/(item-|items\.)\d+/, `$1${next}`));
    });
    if (element.matches("input[type=text], textarea")) element.value = "";
    if (element.matches("input[type=checkbox]")) element.checked = false;
    if (element.matches("input[type=hidden]")) element.value = "";
  });
  copy.querySelectorAll(".field-error").forEach((element) => element.remove());
  copy.querySelector("td").firstChild.textContent = `${next + 1}\n`;
  last.after(copy);
  const first = copy.querySelector("input[type=text], textarea");
  if (first) first.focus();
}

document.addEventListener("DOMContentLoaded", () => {
  const table = document.getElementById("line-items");
  const button = document.querySelector(".add-line");
  if (!table || !button) return;
  button.hidden = false;
  button.addEventListener("click", () => addLine(table));
});
