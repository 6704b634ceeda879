/**
 * `npm run bench -- [--config FILE] [--steps N] [--eval-steps N] [--warmup N] [key value …]`
 * Times training steps (forward, cross-entropy, backward, SGD update) and evaluation steps
 * (forward in inference mode) of the configured model on synthetic data of the dataset's shape,
 * after warm-up steps, and prints a final JSON line
 * `{"model":…,"depth":…,"dataset":…,"backend":…,"threads":…,"batch_size":…,"train_images_per_sec":…,"eval_images_per_sec":…,"peak_rss_mb":…}`.
 * Nothing is read from disk: the images are standard normal noise and the labels uniform.
 */
import { describeBackend, initBackend } from '../backend';
import { Rng } from '../data/rng';
import { countParams, createModel } from '../models';
import { evaluateModel } from '../train/evaluate';
import { createOptimizer } from '../train/optim';
import { trainStep } from '../train/step';
import { parseConfigCli, printJsonLine, runCli } from './main';

const USAGE = 'Usage: npm run bench -- [--config FILE.yaml] [--steps 10] [--eval-steps 10] [--warmup 2] [key value ...]';

function intFlag(flags: Record<string, string | boolean>, name: string, def: number): number {
  const v = flags[name];
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw Object.assign(new Error(`--${name} expects a positive integer, got ${String(v)}`), { name: 'ConfigError' });
  return n;
}

runCli(async () => {
  const cli = parseConfigCli(USAGE, {
    steps: { type: 'string', description: 'timed training steps (default 10)' },
    'eval-steps': { type: 'string', description: 'timed evaluation steps (default 10)' },
    warmup: { type: 'string', description: 'untimed warm-up steps before each timing (default 2)' },
  });
  if (!cli) return 0;
  const cfg = cli.config;
  const steps = intFlag(cli.flags, 'steps', 10);
  const evalSteps = intFlag(cli.flags, 'eval-steps', 10);
  const warmup = intFlag(cli.flags, 'warmup', 2);
  const backend = await initBackend(cfg.device as never, cfg.num_threads);
  process.stderr.write(`${describeBackend(backend)}\n`);
  const model = createModel(cfg);
  const optimizer = createOptimizer(cfg.train, model.params);
  const s = cfg.dataset.image_size;
  const c = cfg.dataset.n_channels;
  const k = cfg.dataset.n_classes;
  const bs = cfg.train.batch_size;
  const rng = Rng.fromKey(cfg.train.seed, 0xbe7c);
  const x = new Float32Array(bs * s * s * c).map(() => rng.normal());
  const y = new Int32Array(bs).map(() => rng.int(0, k));
  const batch = { x, y, n: bs };
  const opts = { imageShape: [s, s, c] as [number, number, number], nClasses: k, gradientClip: 0 };
  process.stderr.write(`${cfg.model.name}: ${countParams(model).toLocaleString('en-US')} parameters, batch ${bs}, input ${s}x${s}x${c}\n`);

  for (let i = 0; i < warmup; i++) trainStep(model, optimizer, batch, 0.01, opts);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < steps; i++) trainStep(model, optimizer, batch, 0.01, opts);
  const trainSec = Number(process.hrtime.bigint() - t0) / 1e9;
  const trainIps = (steps * bs) / trainSec;
  process.stderr.write(`train: ${steps} steps in ${trainSec.toFixed(2)} s, ${trainIps.toFixed(1)} images/s\n`);

  async function* evalBatches(n: number) {
    for (let i = 0; i < n; i++) yield batch;
  }
  await evaluateModel(model, evalBatches(warmup), opts.imageShape, k);
  const t1 = process.hrtime.bigint();
  await evaluateModel(model, evalBatches(evalSteps), opts.imageShape, k);
  const evalSec = Number(process.hrtime.bigint() - t1) / 1e9;
  const evalIps = (evalSteps * bs) / evalSec;
  process.stderr.write(`eval: ${evalSteps} steps in ${evalSec.toFixed(2)} s, ${evalIps.toFixed(1)} images/s\n`);

  const section = (cfg.model as unknown as Record<string, { depth?: number }>)[cfg.model.name];
  printJsonLine({
    model: cfg.model.name,
    depth: section?.depth ?? null,
    dataset: cfg.dataset.name,
    backend: backend.backend,
    threads: backend.threads,
    batch_size: bs,
    train_images_per_sec: Math.round(trainIps * 10) / 10,
    eval_images_per_sec: Math.round(evalIps * 10) / 10,
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  });
  optimizer.dispose();
  model.dispose();
  return 0;
});
