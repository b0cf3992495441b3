// The side panel, the toolbar's state, the dialogs, the toast and the filmstrip: shows what it is
// given and reads the panel's inputs. No fetch() and no model changes here (commands.js does
// those; panel-controller.js wires the panel's buttons). Labels, comments and model names are
// written with textContent only (never as HTML). The *Text functions are pure (unit-tested).

import { positionText } from "./navigation.js";

const $ = (id) => document.getElementById(id);
const TOAST_MS = 3500;
const THUMB_HEIGHT = 52;
const SAVE_TEXT = {
  saved: "All changes saved",
  unsaved: "Unsaved changes",
  saving: "Saving…",
  conflict: "Conflict",
  error: "Not saved",
};

export function saveText(state, message) {
  return SAVE_TEXT[state] + (state === "error" && message ? `: ${message}` : "");
}

// A save refused for invalid geometry offers "Repair geometry".
export function offersRepair(state, message) {
  return state === "error" && /simple polygon|Self-intersection/.test(message);
}

export function statusText(a) {
  if (a.annotated === false) return "not annotated";
  return a.not_visible ? `${a.status} · nerve not visible` : a.status;
}

export function reviewCommentText(a) {
  if (!a.review_comment) return "";
  return `${a.status === "rejected" ? "Rejected" : "Review"} by ${a.reviewed_by}: ${a.review_comment}`;
}

// What the caller may do to this frame now: edit it, or look at it with a banner saying why
// not (and, for a data manager on an approved frame, the Reopen button).
export function editMode(a, { canAnnotate, canReview }) {
  if (!canAnnotate) return { editable: false, reopen: false, banner: "Read-only: your role does not annotate frames." };
  if (a?.status !== "approved") return { editable: true, reopen: false, banner: "" };
  const by = a.reviewed_by ? ` by ${a.reviewed_by}` : "";
  if (canReview) {
    return {
      editable: false,
      reopen: true,
      banner: `Approved${by}. To change it, reopen it first: it then awaits review again.`,
    };
  }
  return {
    editable: false,
    reopen: false,
    banner: `Approved${by}: this frame is read-only. A data manager can reopen it if it needs changes.`,
  };
}

// Which model predicted the shapes and how sure it was, e.g.
// "Model 3 · Improved U-Net (lite) — confidence 0.82, uncertainty 0.14".
export function predictionText(p) {
  const name = p.model_name || "model";
  const numbers = [
    ["confidence", p.confidence],
    ["uncertainty", p.uncertainty],
  ].filter(([, v]) => v != null);
  const text = numbers.length ? `${name} — ${numbers.map(([k, v]) => `${k} ${v.toFixed(2)}`).join(", ")}` : name;
  return p.is_active_model === false ? `${text} · not the active model` : text;
}

// The heatmap legend's two ends.
export const LEGEND_ENDS = { probability: ["p = 0", "1"], fullgrad: ["low", "high saliency"] };

export function conflictText(current) {
  return `${current?.updated_by || "Someone"} saved version ${current?.version ?? 0} while you were editing.`;
}

// After the shapes were replaced as a whole (accept, copy, propagate, repair).
export function replacedText(name, shapeCount, vertexCount) {
  return `${name}: ${shapeCount ? `${vertexCount} vertices` : "no shapes"}`;
}

export class PanelView {
  constructor({ root, canAnnotate, canReview }) {
    Object.assign(this, { root, canAnnotate, canReview });
    this.toastTimer = null;
  }

  toast(text) {
    const el = $("ed-toast");
    el.textContent = text;
    el.hidden = false;
    clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => {
      el.hidden = true;
    }, TOAST_MS);
  }

  // The label of new shapes: the project's classes in their order, hidden ones left out.
  showLabels(labels) {
    const select = $("ed-label");
    const shown = labels.filter((l) => !l.hidden);
    select.replaceChildren(...shown.map((l) => new Option(l.name, l.name)));
    select.title = select.value;
    select.addEventListener("change", () => {
      select.title = select.value;
    });
  }

  showZoom(scale) {
    $("ed-zoom").textContent = `${Math.round(scale * 100)}%`;
  }

  // The banner over the frame, the Reopen button, and the editing tools shown or hidden.
  showEditMode(mode) {
    for (const el of document.querySelectorAll("[data-annotate]")) el.hidden = !mode.editable;
    const banner = $("ed-banner");
    banner.hidden = !mode.banner;
    $("ed-banner-text").textContent = mode.banner;
    $("ed-reopen").hidden = !mode.reopen;
  }

  // Draws the eye to the banner (an edit was tried on a read-only frame).
  flashBanner() {
    const banner = $("ed-banner");
    banner.classList.remove("flash");
    void banner.offsetWidth; // restart the animation
    banner.classList.add("flash");
  }

  openReopen() {
    $("ed-reopen-comment").value = "";
    $("ed-reopen-dialog").showModal();
  }

  closeReopen() {
    $("ed-reopen-dialog").close();
  }

  get reopenComment() {
    return $("ed-reopen-comment").value;
  }

  // The "Not visible" button shows the explicit state (pressed) and the stage says it too.
  showNotVisible(flag) {
    const button = $("ed-not-visible");
    button.setAttribute("aria-pressed", String(flag));
    button.textContent = flag ? "Not visible ✓" : "Not visible";
    button.title = flag ? "Marked: nerve not visible. X again: not marked" : "Nerve not visible (X)";
    $("ed-nv-badge").hidden = !flag;
  }

  get label() {
    return $("ed-label").value;
  }

  get reviewComment() {
    return $("ed-review-text").value;
  }

  get jumpTime() {
    return $("ed-jump-time").value;
  }

  saveState(state, message) {
    const el = $("ed-save");
    el.dataset.state = state;
    el.textContent = saveText(state, message);
    $("ed-repair").hidden = !offersRepair(state, message);
  }

  showAnnotation(a) {
    $("ed-status").textContent = statusText(a);
    $("ed-version").textContent = String(a.version);
    $("ed-source").textContent = a.source || "—";
    const comment = $("ed-review-comment");
    comment.hidden = !a.review_comment;
    comment.textContent = reviewCommentText(a);
    this.root.querySelector("[data-review]").hidden = !(this.canReview && a.status === "submitted");
  }

  showPrediction(p) {
    $("ed-accept").disabled = false;
    $("ed-model").hidden = false;
    $("ed-prediction-info").textContent = predictionText(p);
    const probability = this.root.querySelector("input[name='ed-overlay'][value='probability']");
    probability.disabled = !p.probability_url;
    probability.parentElement.title = p.probability_url ? "" : "This prediction has no probability map.";
  }

  // The chosen heatmap's legend, and what the overlay is doing ("busy", "error" or "").
  // An error puts the choice back to "none", so that choosing the overlay again retries.
  overlayStatus(text, state) {
    const el = $("ed-overlay-status");
    el.textContent = text;
    el.dataset.state = state;
    if (state === "error") this.root.querySelector("input[name='ed-overlay'][value='none']").checked = true;
    const kind = this.overlay;
    const legend = $("ed-legend");
    legend.hidden = kind === "none";
    if (kind !== "none") {
      legend.dataset.kind = kind;
      [legend.firstElementChild.textContent, legend.lastElementChild.textContent] = LEGEND_ENDS[kind];
    }
  }

  get overlay() {
    return this.root.querySelector("input[name='ed-overlay']:checked").value;
  }

  showHistory(model) {
    $("ed-undo").disabled = !model.canUndo;
    $("ed-redo").disabled = !model.canRedo;
    $("ed-vertices").textContent = String(model.vertexCount());
    this.showNotVisible(model.isNotVisible());
  }

  showTool(tool) {
    for (const b of document.querySelectorAll("button[data-tool]"))
      b.classList.toggle("active", b.dataset.tool === tool);
    $("ed-brush-group").hidden = tool !== "brush" && tool !== "eraser";
  }

  // Moves the brush size slider and tells its listeners, as if the user had moved it.
  nudgeBrush(delta) {
    const el = $("ed-brush");
    el.value = String(Number(el.value) + delta);
    el.dispatchEvent(new Event("input"));
  }

  openConflict(current) {
    $("ed-conflict-text").textContent = conflictText(current);
    $("ed-conflict").show();
  }

  closeConflict() {
    $("ed-conflict").close();
  }

  openHelp() {
    $("ed-help").showModal();
  }

  closeHelp() {
    $("ed-help").close();
  }

  // The frame shown: the breadcrumb's index, position and "excluded", the tab's title.
  showFrame(meta, strip, patientCode) {
    $("ed-frame-index").textContent = String(meta.index);
    $("ed-position").textContent = strip ? positionText(strip) : "—";
    $("ed-excluded").hidden = !meta.excluded;
    document.title = `Frame ${meta.index} · ${patientCode} · NerveMark`;
  }

  clearPrediction() {
    $("ed-accept").disabled = true;
    $("ed-model").hidden = true;
    $("ed-prediction-info").textContent = "";
    this.root.querySelector("input[name='ed-overlay'][value='none']").checked = true;
    this.overlayStatus("", "");
  }

  // The window of the video around the frame; `onPick(frameId)` on a thumbnail's click.
  showFilmstrip(strip, currentId, onPick) {
    const items = strip.frames.map((f) => thumbnail(f, currentId, onPick));
    $("ed-filmstrip").replaceChildren(...items);
  }

  // The frame's annotation status changed (saved, submitted, reviewed): its thumbnail's colour.
  showThumbStatus(frameId, status) {
    const item = $("ed-filmstrip").querySelector(`[data-frame="${frameId}"]`);
    if (!item) return;
    item.className = item.className.replace(/status-\S+/, `status-${status || "none"}`);
    item.title = thumbTitle({ index: item.dataset.index, status, excluded: item.dataset.excluded === "1" });
  }
}

export function thumbTitle({ index, status, excluded }) {
  return `frame ${index}${status ? ` · ${status}` : ""}${excluded ? " · excluded" : ""}`;
}

function thumbnail(f, currentId, onPick) {
  const item = document.createElement("button");
  item.type = "button";
  item.className = `ed-thumb status-${f.status || "none"}${f.id === currentId ? " current" : ""}`;
  item.title = thumbTitle(f);
  item.dataset.frame = String(f.id);
  item.dataset.index = String(f.index);
  item.dataset.excluded = f.excluded ? "1" : "0";
  const thumb = document.createElement("img");
  thumb.alt = "";
  thumb.height = THUMB_HEIGHT;
  thumb.width = Math.round((THUMB_HEIGHT * f.width) / f.height) || THUMB_HEIGHT;
  thumb.src = f.thumb_url;
  const label = document.createElement("span");
  label.textContent = String(f.index);
  item.append(thumb, label);
  item.addEventListener("click", () => onPick(f.id));
  return item;
}
