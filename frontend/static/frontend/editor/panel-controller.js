// The toolbar's and side panel's inputs -> commands, model and view changes (the Controller does
// the same for pointer and keyboard on the canvas).

const $ = (id) => document.getElementById(id);
const onClick = (id, fn) => $(id).addEventListener("click", fn);

export function wirePanel({ commands, model, view, controller, panel }) {
  wireToolbar({ model, view, controller });
  wireLayers(view);
  wireModelLayer(commands, view);
  wireActions(commands, panel);
  wireNavigation(commands, panel);
}

function wireToolbar({ model, view, controller }) {
  for (const b of document.querySelectorAll("button[data-tool]")) {
    b.addEventListener("click", () => controller.setTool(b.dataset.tool));
  }
  // The label of new shapes; also the selected polygon's, unless it is locked.
  $("ed-label").addEventListener("change", (e) => {
    if (model.selected != null && !model.locked.has(model.selected)) model.setLabel(model.selected, e.target.value);
  });
  $("ed-brush").addEventListener("input", (e) => {
    controller.brushRadius = Number(e.target.value);
    view.requestRender();
  });
  onClick("ed-undo", () => model.undo());
  onClick("ed-redo", () => model.redo());
  onClick("ed-fit", () => view.fit());
  const centre = (factor) => view.zoomAt(factor, view.stage.clientWidth / 2, view.stage.clientHeight / 2);
  onClick("ed-zoom-in", () => centre(1.25));
  onClick("ed-zoom-out", () => centre(0.8));
}

function wireLayers(view) {
  $("ed-opacity").addEventListener("input", (e) => {
    view.opacity = Number(e.target.value) / 100;
    view.requestRender();
  });
  $("ed-layer-mine").addEventListener("change", (e) => {
    view.layers.mine = e.target.checked;
    view.requestRender();
  });
  $("ed-layer-prediction").addEventListener("change", (e) => {
    view.layers.prediction = e.target.checked;
    view.requestRender();
  });
  $("ed-layer-names").addEventListener("change", (e) => {
    view.layers.names = e.target.checked;
    view.requestRender();
  });
}

// The heatmap: one of none / probability / FullGrad (radios), and its own opacity. A radio
// chosen with the mouse hands the keyboard back to the stage: otherwise ← / → (previous / next
// frame) would move the radio choice, and start FullGrad by accident.
function wireModelLayer(commands, view) {
  for (const radio of document.querySelectorAll("input[name='ed-overlay']")) {
    radio.addEventListener("change", () => {
      if (!radio.matches(":focus-visible")) $("ed-stage").focus();
      commands.overlay(radio.value);
    });
  }
  $("ed-heat-opacity").addEventListener("input", (e) => {
    view.heatOpacity = Number(e.target.value) / 100;
    view.requestRender();
  });
}

function wireActions(commands, panel) {
  onClick("ed-help-open", () => commands.help());
  onClick("ed-help-close", () => panel.closeHelp());
  onClick("ed-accept", () => commands.acceptPrediction());
  onClick("ed-copy", () => commands.copyPrevious());
  onClick("ed-propagate", () => commands.propagate());
  onClick("ed-not-visible", () => commands.notVisible());
  onClick("ed-submit", () => commands.submit());
  onClick("ed-repair", () => commands.repair());
  onClick("ed-approve", () => commands.review("approve"));
  onClick("ed-reject", () => commands.review("reject"));
  onClick("ed-reopen", () => commands.askReopen());
  onClick("ed-reopen-confirm", () => commands.reopen());
  onClick("ed-reopen-cancel", () => panel.closeReopen());
  onClick("ed-take-theirs", () => commands.takeTheirs());
  onClick("ed-overwrite", () => commands.overwrite());
}

function wireNavigation(commands, panel) {
  onClick("ed-prev", () => commands.prev());
  onClick("ed-next", () => commands.next());
  onClick("ed-queue-next", () => commands.queueNext());
  // After a jump the keys (A, D, ...) work again: the stage takes the keyboard back.
  $("ed-jump").addEventListener("submit", (e) => {
    e.preventDefault();
    $("ed-stage").focus();
    commands.jumpTo(panel.jumpTime);
  });
}
