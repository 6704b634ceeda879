/**
 * Where a step's time goes on the libtorch backend, operator by operator:
 *
 *   npm run profile -- --config configs/cifar/wrn.yaml [--eval] [--steps 5] [--warmup 2] [--shapes] [--top 25] [key value …]
 *
 * Runs `--warmup` training steps (and, with `--eval`, evaluation batches) of the configured model on synthetic data of
 * the dataset's shape, as `npm run bench` does, then times `--steps` more with every call into the addon wrapped:
 * one line per operator (`aten::convolution_backward`, `icl::bn_train`, …; with `--shapes`, per operator and input
 * shapes, convolutions with their stride and output mask) with its wall time per step in ms and its calls per step,
 * sorted by time, and a first line with the step's wall time, the time inside the addon and the rest (tfjs's engine and
 * tape, our kernels' TypeScript, garbage collection). The wrapping costs a few µs a call; compare figures of one run.
 * PyTorch's side of the same comparison: `torch.autograd.profiler.profile(record_shapes=True)` around
 * scripts/bench_pytorch.py's step (docs/performance.md).
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, loadLibtorchAddon, toDevice } from '../runtime/backend';
import type { LibtorchAddon } from '../runtime/backend/libtorch/addon';
import { parseConfigCli, runCli } from '../runtime/cli/main';
import { Rng } from '../runtime/data/rng';
import { createModel } from '../runtime/models';
import { evaluateModel } from '../runtime/train/evaluate';
import { createOptimizer } from '../runtime/train/optim';
import { trainStep } from '../runtime/train/step';

const USAGE = 'Usage: npm run profile -- [--config FILE.yaml] [--eval] [--steps 5] [--warmup 2] [--shapes] [--top 25] [key value ...]';

interface Tally {
  ms: number;
  calls: number;
}

/** `aten::name[.overload]` and, with `shapes`, the shapes of the tensor arguments (and a convolution's stride and mask). */
function label(addon: LibtorchAddon, name: string, args: unknown[], shapes: boolean): string {
  if (!shapes) return name;
  const shapeOf = (a: unknown): string => {
    if (typeof a !== 'number' || !Number.isInteger(a) || a <= 0) return '';
    try {
      return JSON.stringify(addon.info(a).shape);
    } catch {
      return '';
    }
  };
  const conv = name.startsWith('aten::convolution');
  const extra = conv ? ` stride ${JSON.stringify(args[name.includes('backward') ? 4 : 3])}${name.includes('backward') ? ` mask ${JSON.stringify(args[10])}` : ''}` : '';
  return `${name} ${args.slice(0, 3).map(shapeOf).filter(Boolean).join(' ')}${extra}`;
}

/** Wraps the addon's `op` (to name operator ids) and `call` (to time them); returns the tallies and a reset. */
function instrument(addon: LibtorchAddon, shapes: boolean): { tallies: Map<string, Tally>; inAddon: () => number; reset: () => void } {
  const names = new Map<number, string>();
  const op = addon.op.bind(addon);
  const call = addon.call.bind(addon);
  const tallies = new Map<string, Tally>();
  let total = 0;
  addon.op = (name: string, overload: string) => {
    const id = op(name, overload);
    names.set(id, overload ? `${name}.${overload}` : name);
    return id;
  };
  addon.call = (id: number, args: unknown[]) => {
    const t0 = process.hrtime.bigint();
    const r = call(id, args);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const key = label(addon, names.get(id) ?? `op ${id}`, args, shapes);
    const t = tallies.get(key) ?? { ms: 0, calls: 0 };
    t.ms += ms;
    t.calls++;
    tallies.set(key, t);
    total += ms;
    return r;
  };
  return { tallies, inAddon: () => total, reset: () => ((total = 0), tallies.clear()) };
}

runCli(async () => {
  const cli = parseConfigCli(USAGE, {
    eval: { type: 'boolean', description: 'profile evaluation batches instead of training steps' },
    steps: { type: 'string', description: 'profiled steps (default 5)' },
    warmup: { type: 'string', description: 'steps before profiling (default 2)' },
    shapes: { type: 'boolean', description: 'one line per operator and input shapes' },
    top: { type: 'string', description: 'lines to print (default 25)' },
  });
  if (!cli) return 0;
  const cfg = cli.config;
  const num = (name: string, def: number): number => (cli.flags[name] === undefined ? def : Math.max(1, Number(cli.flags[name]) || def));
  const steps = num('steps', 5);
  const loaded = loadLibtorchAddon();
  if (!loaded.ok) throw new Error(`the libtorch backend is needed: ${loaded.reason}`);
  const probe = instrument(loaded.addon, Boolean(cli.flags.shapes));
  const backend = await initBackend(toDevice(cfg.device), cfg.num_threads, cfg.cudnn);
  if (backend.engine !== 'libtorch') throw new Error(`the libtorch backend is needed, got ${backend.engine}`);
  const model = createModel(cfg);
  const optimizer = createOptimizer(cfg.train, model.params, cfg.optim);
  const [s, c, k, n] = [cfg.dataset.image_size, cfg.dataset.n_channels, cfg.dataset.n_classes, cfg.train.batch_size];
  const rng = Rng.fromKey(cfg.train.seed, 0xbe7c);
  const batch = { x: new Float32Array(n * s * s * c).map(() => rng.normal()), y: new Int32Array(n).map(() => rng.int(0, k)), n };
  const opts = { imageShape: [s, s, c] as [number, number, number], nClasses: k, gradientClip: 0 };
  async function* batches(count: number) {
    for (let i = 0; i < count; i++) yield batch;
  }
  const run = async (count: number) => {
    if (cli.flags.eval) await evaluateModel(model, batches(count), opts.imageShape, k);
    else for (let i = 0; i < count; i++) trainStep(model, optimizer, batch, 0.01, opts);
  };
  await run(num('warmup', 2));
  probe.reset();
  const t0 = process.hrtime.bigint();
  await run(steps);
  const wall = Number(process.hrtime.bigint() - t0) / 1e6 / steps;
  const inAddon = probe.inAddon() / steps;
  const what = cli.flags.eval ? 'evaluation batch' : 'training step';
  process.stdout.write(`${cfg.model.name}, batch ${n}, ${backend.threads} threads: ${wall.toFixed(1)} ms a ${what}, ${inAddon.toFixed(1)} ms in the addon, ${(wall - inAddon).toFixed(1)} ms outside\n`);
  const rows = [...probe.tallies.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, num('top', 25));
  for (const [key, t] of rows) process.stdout.write(`${(t.ms / steps).toFixed(2).padStart(9)} ms ${String(Math.round((t.calls / steps) * 10) / 10).padStart(6)}× ${key}\n`);
  tf.disposeVariables();
  return 0;
});

