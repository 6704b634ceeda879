/**
 * The PyTorch side of `npm run bench -- --pytorch`: scripts/bench_pytorch.py in `--serve` mode, a long-lived Python
 * process that holds the same ResNet-preact on the same shapes and threads and times "train N" / "eval N" steps on
 * request, so the bench can alternate rounds of its own and PyTorch's timings (co-tenant load then hits both alike).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';

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
    private readonly lines: AsyncIterator<string>,
    private readonly stderr: () => string,
  ) {}

  /**
   * Starts the process and waits until it has built the model and warmed up.
   * @param args bench_pytorch.py arguments (--depth, --image-size, --threads, ...)
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
    const hello = JSON.parse(first.value) as { engine: string };
    return new PytorchReference(child, hello.engine, lines, () => err);
  }

  /** Times `steps` training or evaluation steps in the PyTorch process. @throws Error when it died */
  async time(kind: 'train' | 'eval', steps: number): Promise<PytorchTiming> {
    this.child.stdin.write(`${kind} ${steps}\n`);
    const r = await this.lines.next();
    if (r.done) throw new Error(`--pytorch: the PyTorch process ended: ${this.stderr().trim().split('\n').pop() ?? ''}`);
    return JSON.parse(r.value) as PytorchTiming;
  }

  /** Ends the process. */
  close(): void {
    this.child.stdin.end('quit\n');
  }
}
