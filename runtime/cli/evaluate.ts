/**
 * `npm run evaluate -- --config RUN/config.yaml test.checkpoint PATH [test.output_dir D] [key value …]`
 * Evaluates a checkpoint on the test split (eval transforms, batch test.batch_size, plain
 * cross-entropy), prints `Loss … Accuracy …` and a final JSON line
 * `{"loss":…,"accuracy":…,"error":…,"n":…}`, and writes into test.output_dir (default: the
 * checkpoint's folder + `/eval`) `logits.npy` [n, K] float32, `labels.npy` (true labels) and
 * `predictions.npy` (argmax) int32, `classes.json` (class names, confusion matrix, per-class figures),
 * `gallery.json` (the most confidently wrong images) and `metrics.json` (runtime/protocol/evaluation.ts).
 * The original stored the predicted classes under `labels`; here `labels` are the ground truth.
 */
import type { EvaluateResultLine } from '../protocol/results';
import { evaluateCheckpoint } from '../train/evaluate_checkpoint';
import { applyNoDownload, NO_DOWNLOAD_FLAG, parseConfigCli, printJsonLine, runCli } from './main';

const USAGE = `Usage: npm run evaluate -- --config RUN_DIR/config.yaml test.checkpoint RUN_DIR/checkpoint_NNNNN.ckpt [test.output_dir DIR] [key value ...]`;

runCli(async () => {
  const cli = parseConfigCli(USAGE, NO_DOWNLOAD_FLAG);
  if (!cli) return 0;
  applyNoDownload(cli);
  const { outDir, ...metrics } = await evaluateCheckpoint(cli.config);
  void outDir;
  printJsonLine(metrics satisfies EvaluateResultLine);
  return 0;
});
