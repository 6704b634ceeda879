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
