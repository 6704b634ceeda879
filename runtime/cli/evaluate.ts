/**
 * `npm run evaluate -- --config RUN/config.yaml test.checkpoint PATH [test.output_dir D] [key value …]`
 * Evaluates a checkpoint on the test split (eval transforms, batch test.batch_size, plain
 * cross-entropy), prints `Loss … Accuracy …` and a final JSON line
 * `{"loss":…,"accuracy":…,"error":…,"n":…}`, and writes into test.output_dir (default: the
 * checkpoint's folder + `/eval`) `logits.npy` [n, K] float32, `labels.npy` (true labels) and
 * `predictions.npy` (argmax) int32, and `metrics.json`. The original stored the predicted classes
 * under `labels`; here `labels` are the ground truth.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeBackend, initBackend, toDevice } from '../backend';
import { compatWarnings } from '../config';
import { createModel } from '../models';
import { loadCheckpoint, loadModelTensors } from '../train/checkpoint';
import { ensureRunDataset, loadTestData } from '../train/data';
import { evaluateModel } from '../train/evaluate';
import { argmaxRows } from '../train/metrics';
import { Logger } from '../train/logger';
import { writeNpy } from '../train/npy';
import { applyNoDownload, NO_DOWNLOAD_FLAG, parseConfigCli, printJsonLine, runCli } from './main';

const USAGE = `Usage: npm run evaluate -- --config RUN_DIR/config.yaml test.checkpoint RUN_DIR/checkpoint_NNNNN.ckpt [test.output_dir DIR] [key value ...]`;

runCli(async () => {
  const cli = parseConfigCli(USAGE, NO_DOWNLOAD_FLAG);
  if (!cli) return 0;
  const cfg = cli.config;
  applyNoDownload(cli);
  for (const w of compatWarnings(cfg)) process.stderr.write(`WARNING: ${w}\n`);
  if (!cfg.test.checkpoint) {
    throw Object.assign(new Error('test.checkpoint is required: pass `test.checkpoint RUN_DIR/checkpoint_NNNNN.ckpt`'), { name: 'ConfigError' });
  }
  if (!fs.existsSync(cfg.test.checkpoint)) {
    const dir = path.dirname(cfg.test.checkpoint);
    const there = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.ckpt')).sort() : [];
    const hint = there.length ? ` (${dir} has ${there.join(', ')})` : '';
    throw Object.assign(new Error(`test.checkpoint: ${cfg.test.checkpoint} does not exist${hint}`), { name: 'ConfigError' });
  }
  const backend = await initBackend(toDevice(cfg.device), cfg.num_threads, cfg.cudnn);
  process.stderr.write(`${describeBackend(backend)}\n`);
  const model = createModel(cfg);
  const ckpt = loadCheckpoint(cfg.test.checkpoint);
  loadModelTensors(model, ckpt);
  await ensureRunDataset(cfg, new Logger());
  const { test, loader } = loadTestData(cfg, { batchSize: cfg.test.batch_size, numWorkers: cfg.test.dataloader.num_workers });
  const r = await evaluateModel(model, loader.epoch(0), [test.height, test.width, test.channels], test.nClasses, { keepLogits: true });
  loader.close();
  const outDir = path.resolve(cfg.test.output_dir || path.join(path.dirname(cfg.test.checkpoint), 'eval'));
  fs.mkdirSync(outDir, { recursive: true });
  writeNpy(path.join(outDir, 'logits.npy'), r.logits!, [r.n, test.nClasses]);
  writeNpy(path.join(outDir, 'labels.npy'), test.labels.slice(0, r.n), [r.n]);
  writeNpy(path.join(outDir, 'predictions.npy'), argmaxRows(r.logits!, test.nClasses), [r.n]);
  const metrics = { loss: r.loss, accuracy: r.accuracy, error: 1 - r.accuracy, n: r.n };
  fs.writeFileSync(path.join(outDir, 'metrics.json'), `${JSON.stringify({ ...metrics, accuracy5: r.accuracy5, checkpoint: path.resolve(cfg.test.checkpoint) }, null, 2)}\n`);
  process.stderr.write(`Loss ${r.loss.toFixed(4)} Accuracy ${r.accuracy.toFixed(4)} (${r.n} images); predictions in ${outDir}\n`);
  printJsonLine(metrics);
  model.dispose();
  return 0;
});
