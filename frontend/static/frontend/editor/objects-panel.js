// The objects panel (as CVAT's): every polygon with its label, vertex count and area; select,
// hide, lock, delete and change label per polygon. It calls the model's operations directly
// (each one undoable, hide/lock are view state); labels are written with textContent only.
// objectRows() and areaText() are pure (unit-tested).

import { polygonArea } from "./geometry.js";

// The labels a polygon may be given: the shown ones, and its own even when it is hidden.
export function labelChoices(labels, current) {
  return labels.filter((l) => !l.hidden || l.name === current);
}

export function areaText(px2) {
  if (px2 >= 1e6) return `${(px2 / 1e6).toFixed(2)} Mpx²`;
  return `${Math.round(px2).toLocaleString("en-US")} px²`;
}

export function objectRows(model) {
  return model.polygons.map((p, i) => ({
    id: p.id,
    number: i + 1,
    label: p.label,
    vertices: p.rings.reduce((n, r) => n + r.length, 0),
    holes: p.rings.length - 1,
    area: polygonArea(p.rings),
    hidden: model.hidden.has(p.id),
    locked: model.locked.has(p.id),
    selected: model.selected === p.id,
  }));
}

function button(text, action, title, pressed) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  b.title = title;
  b.dataset.action = action;
  if (pressed !== undefined) b.setAttribute("aria-pressed", String(pressed));
  return b;
}

export class ObjectsPanel {
  // `list`: the <ol>; `count`: where the number of objects is written; `message(text)`.
  constructor({ list, count, model, labels, colorOf, message }) {
    Object.assign(this, { list, count, model, labels, colorOf, message });
    this.editable = true;
    list.addEventListener("click", (e) => this.click(e));
    list.addEventListener("change", (e) => this.changeLabel(e));
  }

  render() {
    const rows = objectRows(this.model);
    this.count.textContent = String(rows.length);
    this.list.replaceChildren(...rows.map((r) => this.row(r)));
  }

  row(r) {
    const li = document.createElement("li");
    li.className = `ed-object${r.selected ? " selected" : ""}${r.hidden ? " is-hidden" : ""}`;
    li.dataset.id = String(r.id);
    li.dataset.testid = "object";
    const swatch = document.createElement("i");
    swatch.className = "ed-swatch";
    swatch.style.background = this.colorOf(r.label);
    const name = document.createElement("select");
    name.className = "ed-object-label";
    name.setAttribute("aria-label", `Label of object ${r.number}`);
    name.title = r.label;
    name.disabled = !this.editable || r.locked;
    for (const l of labelChoices(this.labels, r.label))
      name.append(new Option(l.name, l.name, false, l.name === r.label));
    const facts = document.createElement("span");
    facts.className = "ed-object-facts";
    const holes = r.holes ? ` · ${r.holes} hole${r.holes > 1 ? "s" : ""}` : "";
    facts.textContent = `#${r.number} · ${r.vertices} vertices · ${areaText(r.area)}${holes}`;
    const tools = document.createElement("span");
    tools.className = "ed-object-tools";
    tools.append(
      button(r.hidden ? "show" : "hide", "hide", r.hidden ? "Show it" : "Hide it (not drawn, not hit)", r.hidden),
      button(r.locked ? "unlock" : "lock", "lock", r.locked ? "Unlock it" : "Lock it against changes", r.locked),
      button("delete", "delete", "Delete it (undoable)"),
    );
    tools.lastChild.disabled = !this.editable || r.locked;
    li.append(swatch, name, facts, tools);
    return li;
  }

  click(e) {
    const li = e.target.closest("li[data-id]");
    if (!li || e.target.tagName === "SELECT") return;
    const id = Number(li.dataset.id);
    const action = e.target.dataset.action;
    const m = this.model;
    if (action === "hide") m.toggleHidden(id);
    else if (action === "lock") m.toggleLocked(id);
    else if (action === "delete") m.deletePolygon(id);
    else if (!m.hidden.has(id)) m.select(id);
    else this.message("This object is hidden: show it to select it.");
  }

  changeLabel(e) {
    const li = e.target.closest("li[data-id]");
    if (li && e.target.tagName === "SELECT") this.model.setLabel(Number(li.dataset.id), e.target.value);
  }
}
