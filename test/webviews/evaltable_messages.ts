/**
 * Host messages of the Evaluation and Experiments webviews for test/webviews/webviews.cjs, made by the
 * host's own code: the Experiments snapshot from the fixture runs (extension/experiments/rows.ts), the
 * Evaluation snapshot from evaluation files the runtime writes (runtime/train/evaluate_report.ts).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readEvents } from '../../runtime/protocol/reader';
import { writeClassFiles } from '../../runtime/train/evaluate_report';
import { compareEvaluations, readEvalView } from '../../extension/evaluation/read';
import { experimentTable } from '../../extension/experiments/rows';
import { summarizeRun } from '../../extension/runs/collect';
import { ToEvaluation, type EvalView, type EvaluationHostMessage } from '../../webviews/evaluation/contract';
import { DEFAULT_TABLE_STATE, ToExperiments, type ExperimentsHostMessage } from '../../webviews/experiments/contract';

const ROOT = path.resolve(__dirname, '../extension/fixtures/runs');

/** The 4 fixture runs (wrn_16/exp00 evaluated: test error 41.5 %). */
export const experimentsSnapshot: ExperimentsHostMessage = {
  type: ToExperiments.Snapshot,
  ...experimentTable(['wrn_16/exp00', 'wrn_16/exp01', 'resnet_preact_20/exp00', 'killed/exp00'].map((rel) => {
    const events = readEvents(path.join(ROOT, rel)).events;
    const s = summarizeRun(path.join(ROOT, rel), rel, events, false);
    return { summary: rel === 'wrn_16/exp00' ? { ...s, testError: 41.5 } : s, events };
  }), new Set()),
  state: DEFAULT_TABLE_STATE,
};

/**
 * An evaluation of 3 classes (the third named like an HTML tag) on 12 images, 8 of 16 grey pixels:
 * rows true, columns predicted [[3, 1, 0], [2, 2, 0], [0, 1, 3]]; and a second one to compare with.
 */
function evaluation(name: string, predictions: number[]): EvalView {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `icl-webview-eval-${name}-`));
  const out = path.join(dir, 'eval');
  fs.mkdirSync(out);
  const labels = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2];
  const logits = new Float32Array(labels.length * 3);
  predictions.forEach((p, i) => { logits[i * 3 + p] = 1 + (i % 3); });
  const images = Uint8Array.from({ length: labels.length * 16 }, (_, j) => (j * 37) % 256);
  const id = `webview-${name}`;
  const checkpoint = path.join(dir, 'checkpoint_00003.ckpt');
  writeClassFiles(out, { id, checkpoint, dataset: 'x', classes: ['cat', 'dog', '<img src=x onerror=alert(1)>'], logits, labels, images, height: 4, width: 4, channels: 1 }, predictions);
  const right = predictions.filter((p, i) => p === labels[i]).length;
  fs.writeFileSync(path.join(out, 'metrics.json'), JSON.stringify({ loss: 0.7, accuracy: right / 12, error: 1 - right / 12, n: 12, accuracy5: 1, checkpoint, id }));
  const r = readEvalView(dir, name);
  fs.rmSync(dir, { recursive: true, force: true });
  if (!('view' in r)) throw new Error(r.problem);
  return r.view;
}

const A = evaluation('run-a', [0, 0, 0, 1, 0, 0, 1, 1, 1, 2, 2, 2]);
const B = evaluation('run-b', [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2]);
const cmp = compareEvaluations(A, B);

export const evaluationSnapshot: EvaluationHostMessage = { type: ToEvaluation.Snapshot, view: A, other: null, comparison: null };
export const evaluationCompared: EvaluationHostMessage = { type: ToEvaluation.Snapshot, view: A, other: B, comparison: 'rows' in cmp ? cmp.rows : null };
