import * as fs from 'node:fs';
import * as path from 'node:path';
import { EVENTS_FILE, type RunEvent, type RunEventInput } from './events';

/**
 * Appends events to `<runDir>/events.jsonl`, one line each, written with a single `write` call and
 * flushed to the OS before returning, so a reader never sees a half line unless the process is
 * killed mid-write (which {@link parseEvents} tolerates).
 */
export class EventWriter {
  private readonly fd: number;
  readonly file: string;

  /** Opens (creating or appending to) the event log of `runDir`; a torn last line (a killed writer's) is ended first. */
  constructor(runDir: string) {
    this.file = path.join(runDir, EVENTS_FILE);
    this.fd = fs.openSync(this.file, 'a+');
    // A run killed mid-write left a torn last line: end it, so that the next event is a line of its own.
    const size = fs.fstatSync(this.fd).size;
    const last = Buffer.alloc(1);
    if (size > 0 && fs.readSync(this.fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a) fs.writeSync(this.fd, '\n');
  }

  /** Stamps `time` and appends the event; returns the event written. */
  write(event: RunEventInput): RunEvent {
    const { type, ...fields } = event;
    const full = { type, time: new Date().toISOString(), ...fields } as RunEvent;
    try {
      fs.writeSync(this.fd, `${JSON.stringify(full)}\n`);
    } catch (err) {
      throw new Error(`cannot write ${this.file}: ${(err as Error).message}`);
    }
    return full;
  }

  /** Closes the file; further writes throw. */
  close(): void {
    fs.closeSync(this.fd);
  }
}
