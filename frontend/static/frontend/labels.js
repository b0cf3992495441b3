// Label classes of a project: every member sees them; data managers add, rename, recolour,
// hide/show, reorder, and delete a class nothing uses. Errors are the API's sentences.
// Names are only ever inserted as text or as input values (never as markup).
import { api, el } from "./http.js";

const root = document.getElementById("labels");
const slug = root.dataset.project;
const canManage = root.dataset.canManage === "1";
const URL = "/api/v1/label-classes/";
let classes = [];

const $ = (id) => document.getElementById(id);
function say(id, text) {
  $(id).textContent = text || "";
  $(id).hidden = !text;
}

// Every action: clears the last error and notice first, shows its own outcome.
function guarded(action) {
  return async (event) => {
    event?.preventDefault();
    say("error", "");
    say("notice", "");
    try {
      await action();
    } catch (e) {
      say("error", e.message);
    }
  };
}

async function load() {
  classes = await api("GET", `${URL}?project=${encodeURIComponent(slug)}${canManage ? "&usage=1" : ""}`);
  $("label-rows").replaceChildren(...classes.map(canManage ? manageRow : readRow));
}

function swatch(color) {
  return el("span", {
    class: "swatch",
    style: `display:inline-block;width:1.4rem;height:1.1rem;vertical-align:middle;border:1px solid #8884;background:${color}`,
  });
}

function stateText(c) {
  const shown = c.hidden ? "hidden" : "offered in the editor";
  if (c.in_use === undefined) return shown;
  return `${shown} · ${c.in_use ? "in use" : "unused"}`;
}

function readRow(c) {
  return el(
    "tr",
    { dataset: { value: String(c.value) } },
    el("td", {}, swatch(c.color)),
    el("td", { class: "wrap" }, c.name),
    el("td", {}, String(c.value)),
    el("td", {}, stateText(c)),
  );
}

function button(text, attrs, action) {
  const b = el("button", { type: "button", ...attrs }, text);
  b.addEventListener("click", guarded(action));
  return b;
}

function manageRow(c, index) {
  const name = el("input", { value: c.name, maxlength: "64", size: "32", "aria-label": `name of ${c.name}` });
  const color = el("input", { type: "color", value: c.color.toLowerCase(), "aria-label": `colour of ${c.name}` });
  const save = button("Save", { "data-testid": "save-label" }, () => saveRow(c, name.value.trim(), color.value));
  save.disabled = true;
  const changed = () => {
    save.disabled = name.value.trim() === c.name && color.value === c.color.toLowerCase();
  };
  name.addEventListener("input", changed);
  color.addEventListener("input", changed);
  name.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !save.disabled) save.click();
  });
  const up = button("↑", { "aria-label": `move ${c.name} up` }, () => move(index, -1));
  const down = button("↓", { "aria-label": `move ${c.name} down` }, () => move(index, 1));
  up.disabled = index === 0;
  down.disabled = index === classes.length - 1;
  const hide = button(c.hidden ? "Show" : "Hide", { "data-testid": "toggle-hidden" }, () =>
    patch(
      c,
      { hidden: !c.hidden },
      `${c.name} is ${c.hidden ? "offered in the editor again" : "hidden: no new shape can use it; existing ones stay and are exported"}.`,
    ),
  );
  const remove = button("Delete", { "data-testid": "delete-label" }, () => removeClass(c));
  if (c.in_use) {
    remove.disabled = true;
    remove.title = "In use: a class in use is never deleted; hide it instead.";
  }
  return el(
    "tr",
    { dataset: { value: String(c.value) } },
    el("td", { class: "nowrap" }, up, " ", down),
    el("td", {}, color),
    el("td", {}, name),
    el("td", {}, String(c.value)),
    el("td", {}, stateText(c)),
    el("td", { class: "nowrap" }, save, " ", hide, " ", remove),
  );
}

async function patch(c, body, notice) {
  await api("PATCH", `${URL}${c.id}/`, { json: body });
  await load();
  say("notice", notice);
}

async function saveRow(c, name, color) {
  const body = {};
  if (color !== c.color.toLowerCase()) body.color = color;
  if (name !== c.name) {
    const ok =
      !c.in_use ||
      window.confirm(
        `Rename ${c.name} to ${name}? Every annotation, its history and the predictions will say ${name}.`,
      );
    if (!ok) return;
    body.name = name;
  }
  const what = [body.name && `renamed to ${body.name}`, body.color && `recoloured ${body.color}`].filter(Boolean);
  await patch(c, body, `${c.name} ${what.join(" and ")}.`);
}

async function move(index, step) {
  const ids = classes.map((c) => c.id);
  const [moved] = ids.splice(index, 1);
  ids.splice(index + step, 0, moved);
  await api("POST", `${URL}reorder/`, { json: { project: slug, order: ids } });
  await load();
  say("notice", "Order saved: the editor lists the classes in this order.");
}

async function removeClass(c) {
  if (!window.confirm(`Delete the class ${c.name}? No shape uses it.`)) return;
  await api("DELETE", `${URL}${c.id}/`);
  await load();
  say("notice", `${c.name} deleted.`);
}

async function add() {
  const created = await api("POST", URL, {
    json: { project: slug, name: $("add-name").value, color: $("add-color").value },
  });
  $("add-name").value = "";
  await load();
  say("notice", `${created.name} added with mask value ${created.value}.`);
}

if (canManage) $("add-form").addEventListener("submit", guarded(add));
load().catch((e) => say("error", e.message));
