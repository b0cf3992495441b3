// node --test: the pure helpers of the ML pages.
import assert from "node:assert/strict";
import { test } from "node:test";
import { errorSentence } from "../../http.js";
import { comparePatients, count, eta, historyColumns, latestLine, num, signed, withInterval } from "../format.js";

test("numbers: fixed digits, a real minus sign, a dash for missing values", () => {
  assert.equal(num(0.85234), "0.852");
  assert.equal(num(null), "—");
  assert.equal(num(Number.NaN), "—");
  assert.equal(signed(0.0314), "+0.031");
  assert.equal(signed(-0.0042), "\u22120.004");
  assert.equal(count(1234567), "1,234,567");
});

test("eta reads as a duration, and nothing before it is known", () => {
  assert.equal(eta(null), "");
  assert.equal(eta(0.2), "about 1 s left");
  assert.equal(eta(150), "about 3 min left");
  assert.equal(eta(2 * 3600 + 600), "about 2 h 10 min left");
});

test("an interval only when the API gave one", () => {
  assert.equal(withInterval({ mean: 0.5, ci_low: 0.4, ci_high: 0.6 }), "0.500 [0.400, 0.600]");
  assert.equal(withInterval({ mean: 0.5, ci_low: null, ci_high: null }), "0.500");
  assert.equal(withInterval(null), "—");
});

test("history rows become chart columns in epoch order, gaps as null", () => {
  const rows = [
    { epoch: 2, train_loss: 0.5, val_loss: null },
    { epoch: 1, train_loss: 0.9, val_loss: 0.7 },
  ];
  assert.deepEqual(historyColumns(rows, ["train_loss", "val_loss"]), [
    [1, 2],
    [0.9, 0.5],
    [0.7, null],
  ]);
  assert.equal(latestLine([]), "");
  const line = latestLine([
    { epoch: 1, train_loss: 1, val_loss: 1, val_nerve_iou: 0.4, val_nerve_dice: 0.5 },
    { epoch: 2, train_loss: 0.5, val_loss: 0.6, val_nerve_iou: 0.3, val_nerve_dice: 0.45 },
  ]);
  assert.match(line, /^Epoch 2: train loss 0\.500/);
  assert.match(line, /Best val nerve IoU 0\.400 at epoch 1\.$/);
});

test("compared patients: every model's, each once, in order", () => {
  const models = [{ per_patient: { b: 1, a: 1 } }, { per_patient: { c: 1, a: 1 } }];
  assert.deepEqual(comparePatients(models), ["a", "b", "c"]);
});

test("API error bodies become sentences, never JSON", () => {
  assert.equal(errorSentence({ detail: "No model 9 in this project." }, 404), "No model 9 in this project.");
  assert.equal(
    errorSentence({
      epochs: ["Ensure this value is greater than or equal to 1."],
      lr: ["A valid number is required."],
    }),
    "Epochs: Ensure this value is greater than or equal to 1. Lr: A valid number is required.",
  );
  assert.equal(errorSentence({ then_activate: "Needs evaluation." }), "Then activate: Needs evaluation.");
  assert.equal(errorSentence({ lr: ["Too big."] }, 400, { lr: "Learning rate" }), "Learning rate: Too big.");
  assert.equal(errorSentence(null, 500), "The server answered 500.");
});
