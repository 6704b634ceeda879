import { SingleBar } from 'cli-progress';
import type { Logger } from './logger';

/** Running figures shown beside the bar. */
export interface ProgressFields {
  loss: number;
  accuracy: number;
  lr: number;
  imagesPerSec: number;
}

/** Formats seconds as `1h02m`, `3m05s` or `42s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/**
 * Progress of one pass over batches. On a terminal (stderr is a TTY): a bar with step, ETA,
 * loss, accuracy, lr and images/s, redrawn in place, and log lines printed above it. Otherwise
 * (CI, a spawned process, a pipe): nothing but the logger's plain lines every `plainEvery` steps.
 */
export class Progress {
  private readonly bar: SingleBar | undefined;
  private readonly started = Date.now();

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly logger: Logger,
    private readonly plainEvery: number,
    tty = Boolean(process.stderr.isTTY),
  ) {
    if (tty && total > 0) {
      this.bar = new SingleBar({
        format: `${label} {bar} {value}/{total} | ETA {eta_h} | {extra}`,
        barsize: 24,
        hideCursor: true,
        clearOnComplete: true,
        stream: process.stderr,
        etaBuffer: 20,
        fps: 5,
      });
      this.bar.start(total, 0, { extra: '', eta_h: '?' });
      logger.beforeConsole = () => process.stderr.write('\r\x1b[2K');
      logger.afterConsole = () => this.bar?.render();
    }
  }

  /** Advances to `step` (1-based). */
  update(step: number, fields?: ProgressFields): void {
    const elapsed = (Date.now() - this.started) / 1000;
    const eta = step > 0 ? (elapsed / step) * (this.total - step) : NaN;
    const extra = fields
      ? `loss ${fields.loss.toFixed(4)} acc ${fields.accuracy.toFixed(4)} lr ${fields.lr.toPrecision(3)} ${fields.imagesPerSec.toFixed(0)} img/s`
      : '';
    if (this.bar) {
      this.bar.update(step, { extra, eta_h: formatDuration(eta) });
    } else if (fields && (step % this.plainEvery === 0 || step === this.total)) {
      this.logger.info(`${this.label} ${step}/${this.total} ETA ${formatDuration(eta)} ${extra}`);
    }
  }

  /** Removes the bar. */
  stop(): void {
    if (this.bar) {
      this.bar.stop();
      this.logger.beforeConsole = undefined;
      this.logger.afterConsole = undefined;
    }
  }
}

/** `73.2 MB` */
function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/**
 * Progress of a dataset download, in bytes. On a terminal: a bar redrawn in place. Otherwise: a
 * plain log line at every 10 % (every 16 MB when the size is unknown) and at the end, in the form
 * `download FILE: 45% (73.2 of 162.6 MB, 5.1 MB/s, ETA 17s)`, which the extension reads
 * (extension/runs/launch.ts, parseDownloadLine).
 */
export class DownloadProgress {
  private bar: SingleBar | undefined;
  private file = '';
  private started = 0;
  private startBytes = 0;
  private lastStep = -1;

  constructor(private readonly logger: Logger, private readonly tty = Boolean(process.stderr.isTTY)) {}

  /** Reports `done` of `total` bytes (total undefined: unknown) of `file`. */
  update(file: string, done: number, total: number | undefined): void {
    if (file !== this.file) {
      this.stop();
      this.file = file;
      this.started = Date.now();
      this.startBytes = done;
      this.lastStep = -1;
      if (this.tty && total) {
        this.bar = new SingleBar({
          format: `download ${file} {bar} {percentage}% | {mb} | {speed} | ETA {eta_h}`,
          barsize: 24, hideCursor: true, clearOnComplete: true, stream: process.stderr, fps: 5,
        });
        this.bar.start(total, done, { mb: '', speed: '', eta_h: '?' });
        this.logger.beforeConsole = () => process.stderr.write('\r\x1b[2K');
        this.logger.afterConsole = () => this.bar?.render();
      }
    }
    const elapsed = (Date.now() - this.started) / 1000;
    const rate = elapsed > 0 ? (done - this.startBytes) / elapsed : 0;
    const eta = total && done >= total ? '0s' : total && rate > 0 ? formatDuration((total - done) / rate) : '?';
    const speed = `${megabytes(rate)}/s`;
    if (this.bar) {
      this.bar.update(done, { mb: `${megabytes(done)} of ${megabytes(total ?? 0)}`, speed, eta_h: eta });
      return;
    }
    const step = total ? Math.floor((10 * done) / total) : Math.floor(done / 16e6);
    if (step === this.lastStep) return;
    this.lastStep = step;
    this.logger.info(total
      ? `download ${file}: ${Math.floor((100 * done) / total)}% (${(done / 1e6).toFixed(1)} of ${megabytes(total)}, ${speed}, ETA ${eta})`
      : `download ${file}: ${megabytes(done)} (${speed})`);
  }

  /** Removes the bar. */
  stop(): void {
    if (this.bar) {
      this.bar.stop();
      this.bar = undefined;
      this.logger.beforeConsole = undefined;
      this.logger.afterConsole = undefined;
    }
  }
}
