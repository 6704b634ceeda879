import * as fs from 'node:fs';
import { EVENTS_FILE, type RunEvent } from './events';

/** Result of parsing an event log. */
export interface ParsedEvents {
  events: RunEvent[];
  /**
   * Byte length of the complete lines consumed. A reader that follows a growing file passes it back
   * as `offset` to read only what was appended since.
   */
  consumed: number;
  /** Lines that were complete but not valid JSON events (1-based line numbers within this chunk). */
  badLines: number[];
}

/**
 * Parses JSON-lines text into events. A last line without a trailing newline is treated as torn
 * (a writer killed mid-write, or one still writing) and is neither returned nor counted in
 * `consumed`, so a follower picks it up once it is complete. Complete lines that do not parse, or
 * lack `type`/`time`, are skipped and reported in `badLines`; unknown types are passed through.
 */
export function parseEvents(text: string): ParsedEvents {
  const events: RunEvent[] = [];
  const badLines: number[] = [];
  const lastNewline = text.lastIndexOf('\n');
  const complete = lastNewline < 0 ? '' : text.slice(0, lastNewline + 1);
  const lines = complete.split('\n');
  lines.pop();
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const obj = JSON.parse(line) as unknown;
      if (obj && typeof obj === 'object' && typeof (obj as RunEvent).type === 'string' && typeof (obj as RunEvent).time === 'string') {
        events.push(obj as RunEvent);
      } else {
        badLines.push(i + 1);
      }
    } catch {
      badLines.push(i + 1);
    }
  });
  return { events, consumed: Buffer.byteLength(complete, 'utf8'), badLines };
}

/**
 * Reads the events of a run folder (or of an `events.jsonl` path) from byte `offset` on.
 * A missing file gives no events. Tolerates a torn last line, see {@link parseEvents}.
 * @returns the events and `consumed` as an absolute byte offset to pass back next time.
 */
export function readEvents(runDirOrFile: string, offset = 0): ParsedEvents {
  const file = runDirOrFile.endsWith('.jsonl') ? runDirOrFile : `${runDirOrFile}/${EVENTS_FILE}`;
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { events: [], consumed: offset, badLines: [] };
    throw err;
  }
  const parsed = parseEvents(buf.subarray(offset).toString('utf8'));
  return { ...parsed, consumed: offset + parsed.consumed };
}
