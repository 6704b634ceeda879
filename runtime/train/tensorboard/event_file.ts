/**
 * One folder of TensorBoard event files, written as torch's `SummaryWriter(log_dir, purge_step=…)` writes
 * it: a new `events.out.tfevents.<10-digit seconds>.<host>.<pid>.<n>` file per writer, starting with a
 * `file_version: "brain.Event:2"` event, every event a TFRecord appended and written at once (synchronous,
 * so a killed run loses nothing it logged).
 *
 * Resuming (a purge step): events at steps >= the purge step that a killed run wrote after its last
 * checkpoint are removed from the folder's older files (each rewritten atomically), so every step is there
 * once for any reader; the new file also starts with `SessionLog.START` at the purge step, which makes a
 * TensorBoard that had already read the removed events drop them too (TensorBoard's purge semantics).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeEvent, encodeEvent, SESSION_START, type SummaryValue, type TbEvent } from './event_proto';
import { frameRecord, readRecords } from './record';
import { fileError, writeFileAtomic } from '../../util/atomic';

/** The file name prefix TensorBoard looks for. */
export const EVENT_FILE_PREFIX = 'events.out.tfevents.';

let fileCounter = 0;

/** The event files directly in `dir`, sorted by name (= by creation time), or none when it does not exist. */
export function eventFiles(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((f) => f.startsWith(EVENT_FILE_PREFIX) && fs.statSync(path.join(dir, f)).isFile()).sort().map((f) => path.join(dir, f));
}

/**
 * Removes the events at steps >= `purgeStep` from the event files of `dir` (and a torn last record of a
 * killed writer). A file left without any summary is deleted; the others are rewritten atomically.
 * @returns the files changed
 */
export function purgeEventFiles(dir: string, purgeStep: number): string[] {
  const changed: string[] = [];
  for (const file of eventFiles(dir)) {
    const buf = fs.readFileSync(file);
    const { records, goodBytes } = readRecords(buf);
    const events = records.map((r) => ({ raw: r, event: decodeEvent(r) }));
    const keep = events.filter((e) => e.event.file_version !== undefined || e.event.step < purgeStep);
    if (keep.length === events.length && goodBytes === buf.length) continue;
    changed.push(file);
    if (!keep.some((e) => e.event.summary)) {
      fs.rmSync(file, { force: true });
      continue;
    }
    writeFileAtomic(file, keep.map((e) => frameRecord(e.raw)));
  }
  return changed;
}

/** Appends events to a new event file in one folder. */
export class EventFileWriter {
  readonly file: string;
  private fd: number | undefined;

  /**
   * Creates `dir` (and parents) and a new event file in it.
   * @param purgeStep resuming: the first step this writer will write; later steps of older files are removed
   *   first ({@link purgeEventFiles}) and a `SessionLog.START` event at this step follows the file version
   */
  constructor(dir: string, purgeStep?: number) {
    fs.mkdirSync(dir, { recursive: true });
    if (purgeStep !== undefined) purgeEventFiles(dir, purgeStep);
    const stamp = String(Math.floor(Date.now() / 1000)).padStart(10, '0');
    for (;;) {
      const file = path.join(dir, `${EVENT_FILE_PREFIX}${stamp}.${os.hostname()}.${process.pid}.${fileCounter++}`);
      try {
        this.fd = fs.openSync(file, 'wx');
        this.file = file;
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fileError('create', file, err);
      }
    }
    this.write({ wall_time: Date.now() / 1000, step: 0, file_version: 'brain.Event:2' });
    if (purgeStep !== undefined) this.write({ wall_time: Date.now() / 1000, step: purgeStep, session_log: { status: SESSION_START } });
  }

  /** Appends one summary of `values` at `step`. */
  add(step: number, values: SummaryValue[]): void {
    this.write({ wall_time: Date.now() / 1000, step, summary: { value: values } });
  }

  /** Appends a scalar (stored as float32, as TensorBoard's `simple_value`). */
  addScalar(tag: string, value: number, step: number): void {
    this.add(step, [{ tag, simple_value: value }]);
  }

  private write(e: TbEvent): void {
    if (this.fd === undefined) throw new Error(`${this.file}: the event file is closed`);
    try {
      fs.writeSync(this.fd, frameRecord(encodeEvent(e)));
    } catch (err) {
      throw fileError('write', this.file, err);
    }
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}
