import assert from "node:assert/strict";
import { test } from "node:test";

import {
  conflictText,
  offersRepair,
  predictionText,
  replacedText,
  reviewCommentText,
  saveText,
  statusText,
} from "../panel.js";

test("saveText names the state and appends an error's message only", () => {
  assert.equal(saveText("saved"), "All changes saved");
  assert.equal(saveText("saving", "ignored"), "Saving…");
  assert.equal(saveText("error", "Network error; will retry."), "Not saved: Network error; will retry.");
  assert.equal(saveText("error", ""), "Not saved");
  assert.equal(saveText("conflict", "precondition failed"), "Conflict");
});

test("offersRepair only for refused invalid geometry", () => {
  assert.equal(offersRepair("error", "Ring 0 is not a simple polygon"), true);
  assert.equal(offersRepair("error", "Self-intersection at (3, 4)"), true);
  assert.equal(offersRepair("error", "Network error; will retry."), false);
  assert.equal(offersRepair("saved", "Self-intersection"), false);
  assert.equal(offersRepair("saved"), false);
});

test("statusText and reviewCommentText", () => {
  assert.equal(statusText({ annotated: false, status: "draft" }), "not annotated");
  assert.equal(statusText({ status: "submitted", not_visible: true }), "submitted · nerve not visible");
  assert.equal(statusText({ status: "approved" }), "approved");
  assert.equal(reviewCommentText({ status: "approved" }), "");
  assert.equal(
    reviewCommentText({ status: "rejected", reviewed_by: "dm", review_comment: "<b>below</b>" }),
    "Rejected by dm: <b>below</b>",
  );
  assert.equal(reviewCommentText({ status: "approved", reviewed_by: "dm", review_comment: "ok" }), "Review by dm: ok");
});

test("predictionText, conflictText, replacedText", () => {
  const p = {
    model_name: "Model 3 · Improved U-Net (lite)",
    is_active_model: true,
    confidence: 0.816,
    uncertainty: 0.14,
  };
  assert.equal(predictionText(p), "Model 3 · Improved U-Net (lite) — confidence 0.82, uncertainty 0.14");
  assert.equal(
    predictionText({ ...p, is_active_model: false, uncertainty: null }),
    "Model 3 · Improved U-Net (lite) — confidence 0.82 · not the active model",
  );
  assert.equal(predictionText({ ...p, confidence: null, uncertainty: null }), "Model 3 · Improved U-Net (lite)");
  assert.equal(predictionText({ model_name: "Model 1 · U-Net", confidence: 0 }), "Model 1 · U-Net — confidence 0.00");
  assert.equal(predictionText({ confidence: null }), "model");
  assert.equal(conflictText({ updated_by: "ann2", version: 4 }), "ann2 saved version 4 while you were editing.");
  assert.equal(conflictText(null), "Someone saved version 0 while you were editing.");
  assert.equal(replacedText("repair", 2, 17), "repair: 17 vertices");
  assert.equal(replacedText("copy of frame 3", 0, 0), "copy of frame 3: no shapes");
});
