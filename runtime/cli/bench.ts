/**
 * `npm run bench -- [--config FILE] [--steps N] [--eval-steps N] [--warmup N] [--pytorch] [key value …]`
 * Times training steps (forward, cross-entropy, backward, SGD update) and evaluation steps
 * (forward in inference mode) of the configured model on synthetic data of the dataset's shape,
 * after warm-up steps, and prints a final JSON line
 * `{"model":…,"depth":…,"dataset":…,"backend":…,"threads":…,"batch_size":…,"train_images_per_sec":…,"eval_images_per_sec":…,"peak_rss_mb":…}`.
 * Nothing is read from disk: the images are standard normal noise and the labels uniform.
 * `--pytorch` then runs the same measurement with PyTorch (scripts/bench_pytorch.py; resnet_preact
 * basic only) on the same thread count, and adds its figures and our ratios to the JSON line.
 * `--allreduce N` also times the data-parallel gradient all-reduce of this model's parameters across
 * N local processes (the ring of runtime/dist, as `--nproc_per_node N` uses it) and adds
 * `allreduce_ms` (median per step) and `allreduce_world_size`.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describeBackend, initBackend, toDevice } from '../backend';
import { benchAllReduce } from '../dist/bench';
import { Rng } from '../data/rng';
import { countParams, createModel } from '../models';
import { evaluateModel } from '../train/evaluate';
import { createOptimizer } from '../train/optim';
import { trainStep } from '../train/step';
import { parseConfigCli, printJsonLine, runCli } from './main';

const USAGE = 'Usage: npm run bench -- [--config FILE.yaml] [--steps 10] [--eval-steps 10] [--warmup 2] [--pytorch] [--allreduce N] [key value ...]';

interface PytorchFigures {
  engine: string;
  params: number;
  train_images_per_sec: number;
  eval_images_per_sec: number;
  peak_rss_mb: number;
}

/**
 * Runs scripts/bench_pytorch.py with the same shapes and threads.
 * @throws Error saying how to get PyTorch when it is missing, or what the script printed when it fails
 */
function benchPytorch(args: string[]): PytorchFigures {
  const python = process.env.ICL_PYTHON ?? (process.platform === 'linux' ? '/usr/bin/python3' : 'python3');
  const script = path.join(__dirname, '..', '..', 'scripts', 'bench_pytorch.py');
  const r = spawnSync(python, [script, ...args], { encoding: 'utf8' });
  if (r.error) throw new Error(`--pytorch: cannot run ${python} (${r.error.message}); set ICL_PYTHON to a Python with PyTorch`);
  if (r.status !== 0) {
    const why = /No module named 'torch'/.test(r.stderr) ? 'PyTorch is not installed for it (Debian: apt-get install python3-torch)' : r.stderr.trim().split('\n').pop();
    throw new Error(`--pytorch: ${python} ${path.relative(process.cwd(), script)} failed: ${why}`);
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as PytorchFigures;
}

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
    pytorch: { type: 'boolean', description: 'also time PyTorch on the same shapes and threads (resnet_preact basic)' },
    allreduce: { type: 'string', description: 'also time the gradient all-reduce of this model across N local processes' },
  });
  if (!cli) return 0;
  const cfg = cli.config;
  const steps = intFlag(cli.flags, 'steps', 10);
  const evalSteps = intFlag(cli.flags, 'eval-steps', 10);
  const warmup = intFlag(cli.flags, 'warmup', 2);
  const backend = await initBackend(toDevice(cfg.device), cfg.num_threads);
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
  let pytorch: Record<string, number | string> = {};
  if (cli.flags.pytorch) {
    const rp = cfg.model.resnet_preact;
    if (cfg.model.name !== 'resnet_preact' || rp.block_type !== 'basic') {
      throw new Error('--pytorch compares resnet_preact with basic blocks only');
    }
    const t = benchPytorch([
      '--depth', String(rp.depth), '--channels', String(rp.initial_channels), '--image-size', String(s), '--in-channels', String(c),
      '--classes', String(k), '--batch-size', String(bs), '--steps', String(steps), '--eval-steps', String(evalSteps),
      '--warmup', String(warmup), '--threads', String(backend.threads),
    ]);
    process.stderr.write(`${t.engine} (${backend.threads} threads): train ${t.train_images_per_sec} images/s, eval ${t.eval_images_per_sec} images/s\n`);
    pytorch = {
      pytorch: t.engine,
      pytorch_train_images_per_sec: t.train_images_per_sec,
      pytorch_eval_images_per_sec: t.eval_images_per_sec,
      pytorch_peak_rss_mb: t.peak_rss_mb,
      train_ratio: Math.round((trainIps / t.train_images_per_sec) * 1000) / 1000,
      eval_ratio: Math.round((evalIps / t.eval_images_per_sec) * 1000) / 1000,
    };
  }
  let allreduce: Record<string, number> = {};
  if (cli.flags.allreduce !== undefined) {
    const nproc = intFlag(cli.flags, 'allreduce', 2);
    const [r] = await benchAllReduce({ nproc, sizes: [countParams(model)], iters: 10 });
    process.stderr.write(`all-reduce of ${r.elements.toLocaleString('en-US')} floats over ${nproc} processes: ${r.ms_median.toFixed(1)} ms per step\n`);
    allreduce = { allreduce_world_size: nproc, allreduce_ms: r.ms_median };
  }
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
    ...pytorch,
    ...allreduce,
  });
  optimizer.dispose();
  model.dispose();
  return 0;
});
