import * as fs from 'node:fs';

/** Formats a date as the original's log prefix, `YYYY-mm-dd HH:MM:SS` (local time). */
export function logTimestamp(d = new Date()): string {
  const p = (v: number) => String(v).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/**
 * Writes `[YYYY-mm-dd HH:MM:SS] LEVEL: message` lines to the console (stderr, so stdout stays
 * free for machine-readable output) and, once {@link Logger.attachFile} is called, to a file
 * (a run's `log.txt`), appended synchronously so a crash loses nothing.
 */
export class Logger {
  private fd: number | undefined;
  private file = '';
  /** Lines logged before a file was attached; written to it on attach. */
  private pending: string[] = [];
  /** Called before a console line is written (e.g. to clear a progress bar). */
  beforeConsole: (() => void) | undefined;
  afterConsole: (() => void) | undefined;

  constructor(private readonly quiet = false) {}

  /** Also appends every line to `file`, starting with the lines logged so far. */
  attachFile(file: string): void {
    this.fd = fs.openSync(file, 'a');
    this.file = file;
    const pending = this.pending;
    this.pending = [];
    for (const line of pending) this.toFile(line);
  }

  info(message: string): void {
    this.write('INFO', message);
  }

  warn(message: string): void {
    this.write('WARNING', message);
  }

  error(message: string): void {
    this.write('ERROR', message);
  }

  /** Appends to the file only (for lines the progress bar already shows on a terminal). */
  fileOnly(message: string): void {
    this.toFile(`[${logTimestamp()}] INFO: ${message}\n`);
  }

  private toFile(line: string): void {
    if (this.fd === undefined) {
      this.pending.push(line);
      return;
    }
    try {
      fs.writeSync(this.fd, line);
    } catch (err) {
      throw new Error(`cannot write ${this.file}: ${(err as Error).message}`);
    }
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  private write(level: string, message: string): void {
    const line = `[${logTimestamp()}] ${level}: ${message}\n`;
    this.toFile(line);
    if (this.quiet) return;
    this.beforeConsole?.();
    process.stderr.write(line);
    this.afterConsole?.();
  }
}
