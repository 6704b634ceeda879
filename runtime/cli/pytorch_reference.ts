/**
 * The PyTorch side of `npm run bench -- --pytorch`: scripts/bench_pytorch.py in `--serve` mode, a long-lived Python
 * process that holds the original's own network (hysts/pytorch_image_classification's model classes, copied into
 * scripts/pytorch_image_classification/) built from our config, on the same shapes and threads, and times
 * "train N" / "eval N" steps on request, so the bench can alternate rounds of its own and PyTorch's timings
 * (co-tenant load then hits both alike). "memory" measures the peak bytes of c10's CPU allocator in one training step.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { ConfigError, type Config } from '../config';

/**
 * bench_pytorch.py's arguments for this config: the keys the original's `Network(config)` and `create_optimizer`
 * read, as JSON (`--config`), and the batch size, warm-up steps and threads.
 * @throws Error (ConfigError) for ImageNet-type models: only the original's CIFAR classes are copied
 */
export function referenceArgs(cfg: Config, warmup: number, threads: number, cuda: boolean): string[] {
  if (cfg.model.type !== 'cifar') {
    throw new ConfigError(`--pytorch: model.type ${cfg.model.type} is not compared (scripts/pytorch_image_classification holds the original's cifar models only)`);
  }
  const { name, type, init_mode } = cfg.model;
  const section = (cfg.model as unknown as Record<string, unknown>)[name];
  const { n_channels, image_size, n_classes } = cfg.dataset;
  const { base_lr, momentum, nesterov, weight_decay } = cfg.train;
  const config = { model: { type, name, init_mode, [name]: section }, dataset: { n_channels, image_size, n_classes }, train: { base_lr, momentum, nesterov, weight_decay } };
  return ['--config', JSON.stringify(config), '--batch-size', String(cfg.train.batch_size), '--warmup', String(warmup), '--threads', String(threads), ...(cuda ? ['--device', 'cuda'] : [])];
}

/** One timing answered by the PyTorch process. */
export interface PytorchTiming {
  images_per_sec: number;
  peak_rss_mb: number;
}

/** A running scripts/bench_pytorch.py --serve. */
export class PytorchReference {
  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    readonly engine: string,
    /** Trainable parameters of PyTorch's network (undefined when the process does not say). */
    readonly params: number | undefined,
    private readonly lines: AsyncIterator<string>,
    private readonly stderr: () => string,
  ) {}

  /**
   * Starts the process and waits until it has built the model and warmed up.
   * @param args bench_pytorch.py arguments ({@link referenceArgs})
   * @throws Error saying how to get PyTorch when it is missing, or the script's last stderr line when it fails
   */
  static async start(args: string[]): Promise<PytorchReference> {
    const python = process.env.ICL_PYTHON ?? (process.platform === 'linux' ? '/usr/bin/python3' : 'python3');
    const script = path.join(__dirname, '..', '..', 'scripts', 'bench_pytorch.py');
    const child = spawn(python, [script, ...args, '--serve'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    const spawnError = new Promise<never>((_, reject) => child.on('error', (e) => reject(new Error(`--pytorch: cannot run ${python} (${e.message}); set ICL_PYTHON to a Python with PyTorch`))));
    const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const failed = () => {
      const why = /No module named 'torch'/.test(err) ? 'PyTorch is not installed for it (Debian: apt-get install python3-torch)' : err.trim().split('\n').pop();
      return new Error(`--pytorch: ${python} ${path.relative(process.cwd(), script)} failed: ${why ?? 'no output'}`);
    };
    const first = await Promise.race([lines.next(), spawnError]);
    if (first.done) throw failed();
    const hello = JSON.parse(first.value) as { engine: string; params?: number };
    return new PytorchReference(child, hello.engine, hello.params, lines, () => err);
  }

  /** Times `steps` training or evaluation steps in the PyTorch process. @throws Error when it died */
  async time(kind: 'train' | 'eval', steps: number): Promise<PytorchTiming> {
    return (await this.ask(`${kind} ${steps}`)) as PytorchTiming;
  }

  /**
   * Peak bytes of c10's CPU allocator during one PyTorch training step (those live before it included), from
   * torch.autograd.profiler's memory events; undefined when the process does not say.
   * @throws Error when the process died
   */
  async peakStepBytes(): Promise<number | undefined> {
    return ((await this.ask('memory')) as { peak_bytes?: number }).peak_bytes;
  }

  private async ask(request: string): Promise<unknown> {
    this.child.stdin.write(`${request}\n`);
    const r = await this.lines.next();
    if (r.done) throw new Error(`--pytorch: the PyTorch process ended: ${this.stderr().trim().split('\n').pop() ?? ''}`);
    return JSON.parse(r.value);
  }

  /** Ends the process. */
  close(): void {
    this.child.stdin.end('quit\n');
  }
}
