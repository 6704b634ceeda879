import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeBackend, initBackend, toDevice } from '../backend';
import { ConfigError, compatWarnings, type Config } from '../config';
import { classNames } from '../data/class_names';
import { createModel } from '../models';
import { EVAL_DIR, EVAL_METRICS_FILE, type EvalMetricsFile } from '../protocol/evaluation';
import { CHECKPOINT_NAME_RE } from '../protocol/run_folder';
import { loadCheckpoint, loadModelTensors } from './checkpoint';
import { ensureRunDataset, loadTestData } from './data';
import { Logger } from './logger';
import { evaluateModel } from './evaluate';
import { writeClassFiles } from './evaluate_report';
import { argmaxRows } from './metrics';
import { writeNpy } from './npy';
import { makeDirs, removeLeftovers } from './run_dir';
import { writeTextAtomic } from '../util/atomic';

/** What `evaluate` reports. */
export interface CheckpointMetrics {
  loss: number;
  accuracy: number;
  error: number;
  n: number;
}

/**
 * Evaluates `cfg.test.checkpoint` on the test split (eval transforms, batch `test.batch_size`)
 * and writes into `test.output_dir` (default: the checkpoint's folder + `/eval`) `logits.npy`
 * [n, K] float32, `labels.npy` (true labels) and `predictions.npy` (argmax) int32, `classes.json`
 * (class names, confusion matrix, per-class figures), `gallery.json` (the most confidently wrong
 * images; both runtime/protocol/evaluation.ts) and `metrics.json` last, each atomically: a failed or
 * killed evaluation leaves every file old or new, never part written (temp files of a killed one are
 * removed by the next).
 * @param log where progress lines go (default: stderr)
 * @throws ConfigError when test.checkpoint is unset or missing; checkpoint, data and file-system errors naming the file
 */
export async function evaluateCheckpoint(cfg: Config, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<CheckpointMetrics & { outDir: string }> {
  if (!cfg.test.checkpoint) {
    throw new ConfigError('test.checkpoint is required: pass `test.checkpoint RUN_DIR/checkpoint_NNNNN.ckpt`');
  }
  if (!fs.existsSync(cfg.test.checkpoint)) {
    const dir = path.dirname(cfg.test.checkpoint);
    const there = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => CHECKPOINT_NAME_RE.test(f)).sort() : [];
    const hint = there.length ? ` (${dir} has ${there.join(', ')})` : '';
    throw new ConfigError(`test.checkpoint: ${cfg.test.checkpoint} does not exist${hint}`);
  }
  for (const w of compatWarnings(cfg)) log(`WARNING: ${w}`);
  const backend = await initBackend(toDevice(cfg.device), cfg.num_threads, cfg.cudnn);
  log(describeBackend(backend));
  const model = createModel(cfg);
  try {
    const ckpt = loadCheckpoint(cfg.test.checkpoint);
    loadModelTensors(model, ckpt);
    await ensureRunDataset(cfg, new Logger());
    const { test, loader } = loadTestData(cfg, { batchSize: cfg.test.batch_size, numWorkers: cfg.test.dataloader.num_workers });
    let r;
    try {
      r = await evaluateModel(model, loader.epoch(0), [test.height, test.width, test.channels], test.nClasses, { keepLogits: true });
    } finally {
      loader.close();
    }
    const outDir = path.resolve(cfg.test.output_dir || path.join(path.dirname(cfg.test.checkpoint), EVAL_DIR));
    makeDirs(outDir);
    removeLeftovers(outDir);
    writeNpy(path.join(outDir, 'logits.npy'), r.logits!, [r.n, test.nClasses]);
    writeNpy(path.join(outDir, 'labels.npy'), test.labels.slice(0, r.n), [r.n]);
    const predictions = argmaxRows(r.logits!, test.nClasses);
    writeNpy(path.join(outDir, 'predictions.npy'), predictions, [r.n]);
    const checkpoint = path.resolve(cfg.test.checkpoint);
    const id = `${new Date().toISOString()}-${process.pid}`;
    writeClassFiles(outDir, {
      id, checkpoint, dataset: cfg.dataset.name, classes: classNames(cfg.dataset.name, test.nClasses, test.classes),
      logits: r.logits!, labels: test.labels.subarray(0, r.n), images: test.images, height: test.height, width: test.width, channels: test.channels,
    }, predictions);
    const metrics = { loss: r.loss, accuracy: r.accuracy, error: 1 - r.accuracy, n: r.n };
    const file: EvalMetricsFile = { ...metrics, accuracy5: r.accuracy5, checkpoint, id, time: new Date().toISOString() };
    // Last: metrics.json says a whole evaluation is there (its id names the classes.json and gallery.json of it).
    writeTextAtomic(path.join(outDir, EVAL_METRICS_FILE), `${JSON.stringify(file, null, 2)}\n`);
    log(`Loss ${r.loss.toFixed(4)} Accuracy ${r.accuracy.toFixed(4)} (${r.n} images); predictions in ${outDir}`);
    return { ...metrics, outDir };
  } finally {
    model.dispose();
  }
}
