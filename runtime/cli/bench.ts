/**
 * `npm run bench -- [--config FILE] [--steps N] [--eval-steps N] [--warmup N] [--rounds R] [--pytorch] [key value …]`
 * Times training steps (forward, cross-entropy, backward, SGD update) and evaluation steps
 * (forward in inference mode) of the configured model on synthetic data of the dataset's shape,
 * after warm-up steps, and prints a final JSON line
 * `{"model":…,"depth":…,"dataset":…,"backend":…,"threads":…,"batch_size":…,"rounds":…,"train_images_per_sec":…,"eval_images_per_sec":…,"peak_rss_mb":…}`
 * (medians over `--rounds` timings). Nothing is read from disk: the images are standard normal noise and the labels uniform.
 * On the libtorch backend it adds `peak_libtorch_mb`: the peak bytes of c10's allocators during one training step
 * (those live before it included), the allocator's own figure (native/allocator_stats.cc), beside the process's RSS.
 * `--pytorch` also times PyTorch (scripts/bench_pytorch.py --serve: the original's own model classes, any CIFAR-type
 * family, built from this config and checked against ours by parameter count; on the GPU when ours runs on libtorch
 * CUDA) on the same shapes and thread count, in rounds alternating with ours (default 3), and adds its medians, the
 * median of the per-round ratios and PyTorch's peak allocator bytes in one training step (`pytorch_peak_mb`) to the
 * JSON line. Evaluation steps on both sides compute logits, loss and top-1/top-5 counts, as validation does.
 * `--allreduce N` also times the data-parallel gradient exchange of this model's parameters across N local
 * processes (c10d Gloo in 25 MB buckets, as `--nproc_per_node N` uses it; runtime/distributed/bench.ts) and PyTorch's own
 * DistributedDataParallel on the same gradient sizes (scripts/bench_ddp.py), and adds `allreduce_world_size`,
 * `allreduce_ms` and `ddp_allreduce_ms` (medians per step).
 */
import { describeBackend, initBackend, LIBTORCH_ALLOC_STATS_ENV, loadLibtorchAddon, toDevice } from '../backend';
import { compatWarnings } from '../config';
import { benchAllReduce, benchDdp } from '../distributed/bench';
import { Rng } from '../data/rng';
import { countParams, createModel } from '../models';
import { evaluateModel } from '../train/evaluate';
import { createOptimizer } from '../train/optim';
import { trainStep } from '../train/step';
import { parseConfigCli, printJsonLine, runCli } from './main';
import { PytorchReference, referenceArgs } from './pytorch_reference';

const USAGE = 'Usage: npm run bench -- [--config FILE.yaml] [--steps 10] [--eval-steps 10] [--warmup 2] [--rounds R] [--pytorch] [--allreduce N] [key value ...]';

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round1 = (v: number): number => Math.round(v * 10) / 10;
const round3 = (v: number): number => Math.round(v * 1000) / 1000;
const mb = (bytes: number): number => Math.round(bytes / 2 ** 20);

/** Peak bytes of libtorch's allocators during `step` (those live before it included), or undefined off libtorch. */
function peakLibtorchBytes(engine: string, step: () => void): number | undefined {
  const loaded = engine === 'libtorch' ? loadLibtorchAddon() : undefined;
  if (!loaded?.ok || process.env[LIBTORCH_ALLOC_STATS_ENV] !== '1') {
    step();
    return undefined;
  }
  loaded.addon.allocatorStats(true);
  step();
  return loaded.addon.allocatorStats(true).peakBytes;
}

function intFlag(flags: Record<string, string | boolean>, name: string, def: number): number {
  const v = flags[name];
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw Object.assign(new Error(`--${name} expects a positive integer, got ${String(v)}`), { name: 'ConfigError' });
  return n;
}

// eslint-disable-next-line max-lines-per-function -- temporary: the perf engineer splits this body (issue 14); remove then
runCli(async () => {
  const cli = parseConfigCli(USAGE, {
    steps: { type: 'string', description: 'timed training steps (default 10)' },
    'eval-steps': { type: 'string', description: 'timed evaluation steps (default 10)' },
    warmup: { type: 'string', description: 'untimed warm-up steps before each timing (default 2)' },
    rounds: { type: 'string', description: 'timing rounds, medians reported (default 1; 3 with --pytorch)' },
    pytorch: { type: 'boolean', description: 'also time the original PyTorch network on the same shapes and threads, in alternating rounds' },
    allreduce: { type: 'string', description: 'also time the gradient all-reduce of this model across N local processes' },
  });
  if (!cli) return 0;
  const cfg = cli.config;
  for (const w of compatWarnings(cfg)) process.stderr.write(`WARNING: ${w}\n`);
  const steps = intFlag(cli.flags, 'steps', 10);
  const evalSteps = intFlag(cli.flags, 'eval-steps', 10);
  const warmup = intFlag(cli.flags, 'warmup', 2);
  // Count libtorch's allocations (read once, when the addon loads).
  process.env[LIBTORCH_ALLOC_STATS_ENV] ??= '1';
  const backend = await initBackend(toDevice(cfg.device), cfg.num_threads, cfg.cudnn);
  process.stderr.write(`${describeBackend(backend)}\n`);
  const model = createModel(cfg);
  const optimizer = createOptimizer(cfg.train, model.params, cfg.optim);
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

  async function* evalBatches(n: number) {
    for (let i = 0; i < n; i++) yield batch;
  }
  const timeTrain = () => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < steps; i++) trainStep(model, optimizer, batch, 0.01, opts);
    return (steps * bs) / (Number(process.hrtime.bigint() - t0) / 1e9);
  };
  const timeEval = async () => {
    const t0 = process.hrtime.bigint();
    await evaluateModel(model, evalBatches(evalSteps), opts.imageShape, k);
    return (evalSteps * bs) / (Number(process.hrtime.bigint() - t0) / 1e9);
  };

  let reference: PytorchReference | undefined;
  if (cli.flags.pytorch) {
    // On the GPU when our engine is: libtorch on CUDA.
    reference = await PytorchReference.start(referenceArgs(cfg, warmup, backend.threads, backend.engine === 'libtorch' && Boolean(backend.gpu)));
    if (reference.params !== undefined && reference.params !== countParams(model)) {
      reference.close();
      throw new Error(`--pytorch: the original's ${cfg.model.name} has ${reference.params} parameters, ours ${countParams(model)}: not the same network`);
    }
  }
  const rounds = intFlag(cli.flags, 'rounds', reference ? 3 : 1);
  for (let i = 0; i < warmup; i++) trainStep(model, optimizer, batch, 0.01, opts);
  await evaluateModel(model, evalBatches(warmup), opts.imageShape, k);
  // Alternating rounds (ours, then PyTorch, for training and then evaluation): a co-tenant's burst on a shared
  // machine then slows both engines' rounds alike instead of one engine's whole measurement.
  const ours = { train: [] as number[], eval: [] as number[] };
  const theirs = { train: [] as number[], eval: [] as number[], rss: 0 };
  const ratios = { train: [] as number[], eval: [] as number[] };
  try {
    for (let r = 0; r < rounds; r++) {
      const line: string[] = [];
      for (const kind of ['train', 'eval'] as const) {
        const ips = kind === 'train' ? timeTrain() : await timeEval();
        ours[kind].push(ips);
        let text = `${kind} ${ips.toFixed(1)} images/s`;
        if (reference) {
          const t = await reference.time(kind, kind === 'train' ? steps : evalSteps);
          theirs[kind].push(t.images_per_sec);
          theirs.rss = Math.max(theirs.rss, t.peak_rss_mb);
          ratios[kind].push(ips / t.images_per_sec);
          text += ` (pytorch ${t.images_per_sec.toFixed(1)}, ${(ips / t.images_per_sec).toFixed(2)}x)`;
        }
        line.push(text);
      }
      process.stderr.write(`round ${r + 1}/${rounds}: ${steps} train steps, ${evalSteps} eval steps: ${line.join(', ')}\n`);
    }
  } catch (e) {
    reference?.close();
    throw e;
  }
  const trainIps = median(ours.train);
  const evalIps = median(ours.eval);
  if (reference) {
    process.stderr.write(`${reference.engine} (${backend.threads} threads): train ${round1(median(theirs.train))} images/s, eval ${round1(median(theirs.eval))} images/s; ` +
      `median ratios train ${round3(median(ratios.train))}x, eval ${round3(median(ratios.eval))}x\n`);
  }

  const peakOurs = peakLibtorchBytes(backend.engine, () => trainStep(model, optimizer, batch, 0.01, opts));
  const peakTheirs = await reference?.peakStepBytes();
  reference?.close();
  if (peakOurs !== undefined) {
    process.stderr.write(`peak libtorch allocator bytes in one training step: ${mb(peakOurs)} MB` +
      (peakTheirs ? `; PyTorch ${mb(peakTheirs)} MB (${(peakOurs / peakTheirs).toFixed(2)}x)` : '') + '\n');
  }
  const section = (cfg.model as unknown as Record<string, { depth?: number }>)[cfg.model.name];
  const pytorch: Record<string, number | string> = reference
    ? {
        pytorch: reference.engine,
        pytorch_train_images_per_sec: round1(median(theirs.train)),
        pytorch_eval_images_per_sec: round1(median(theirs.eval)),
        pytorch_peak_rss_mb: theirs.rss,
        ...(peakTheirs !== undefined ? { pytorch_peak_mb: mb(peakTheirs) } : {}),
        train_ratio: round3(median(ratios.train)),
        eval_ratio: round3(median(ratios.eval)),
      }
    : {};
  let allreduce: Record<string, number> = {};
  if (cli.flags.allreduce !== undefined) {
    const nproc = intFlag(cli.flags, 'allreduce', 2);
    const sizes = model.params.map((p) => p.variable.size);
    const r = await benchAllReduce({ nproc, sizes, iters: 10 });
    const ddp = await benchDdp({ nproc, sizes, iters: 10 });
    process.stderr.write(
      `gradient exchange of ${r.elements.toLocaleString('en-US')} floats in ${sizes.length} tensors over ${nproc} processes (c10d Gloo, 25 MB buckets): ` +
        `${r.ms_median.toFixed(1)} ms per step; PyTorch DDP (Gloo) on the same gradients: ${ddp.ms_median.toFixed(1)} ms ` +
        `(its backward pass ${ddp.step_ms_median.toFixed(1)} ms minus ${ddp.local_ms_median.toFixed(1)} ms without DDP; ${(ddp.ms_median / r.ms_median).toFixed(2)}x ours); ` +
        `PyTorch's c10d bucketed after the backward pass, as ours: ${ddp.bucketed_ms_median.toFixed(1)} ms (${(ddp.bucketed_ms_median / r.ms_median).toFixed(2)}x ours)\n`,
    );
    allreduce = { allreduce_world_size: nproc, allreduce_ms: round1(r.ms_median), ddp_allreduce_ms: round1(ddp.ms_median), c10d_bucketed_ms: round1(ddp.bucketed_ms_median) };
  }
  printJsonLine({
    model: cfg.model.name,
    depth: section?.depth ?? null,
    dataset: cfg.dataset.name,
    backend: backend.backend,
    threads: backend.threads,
    batch_size: bs,
    rounds,
    train_images_per_sec: round1(trainIps),
    eval_images_per_sec: round1(evalIps),
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    ...(peakOurs !== undefined ? { peak_libtorch_mb: mb(peakOurs) } : {}),
    ...pytorch,
    ...allreduce,
  });
  optimizer.dispose();
  model.dispose();
  return 0;
});
