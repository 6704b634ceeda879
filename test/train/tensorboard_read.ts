/**
 * Reads a run folder's TensorBoard event files for the tests, preferably with the independent reader
 * test/train/tensorboard_read.py (its own TFRecord/CRC-32C code, Google's protobuf runtime, descriptors
 * written out from tensorflow/tensorboard's field numbers); where python3-protobuf is not installed, with
 * this file's own framing and CRC-32C check and protobufjs (the runtime's schema). Both give the same JSON.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { decodeEvent } from '../../runtime/train/tensorboard/event_proto';

export interface ReadValue {
  tag: string;
  simple_value?: number;
  image?: { height: number; width: number; colorspace: number; png_base64: string };
  histo?: { min: number; max: number; num: number; sum: number; sum_squares: number; bucket_limit: number[]; bucket: number[] };
}

export interface ReadEvent {
  wall_time: number;
  step: number;
  what: 'file_version' | 'summary' | 'session_log' | null;
  file_version?: string;
  session_status?: number;
  values?: ReadValue[];
}

/** Event files by path relative to the run folder. */
export interface ReadRun {
  files: Record<string, ReadEvent[]>;
}

const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(__dirname, 'tensorboard_read.py');

/** Why the Python reader cannot run here, or undefined when it can. */
export function pythonReaderMissing(): string | undefined {
  const r = spawnSync(PYTHON, ['-c', 'import google.protobuf'], { encoding: 'utf8' });
  if (r.error) return `${PYTHON} not found`;
  if (r.status !== 0) return 'python3-protobuf is not installed (apt-get install python3-protobuf)';
  return undefined;
}

/** Reads with tensorboard_read.py. @throws its one-line error */
export function readWithPython(runDir: string): ReadRun {
  const r = spawnSync(PYTHON, [SCRIPT, runDir], { encoding: 'utf8', maxBuffer: 256 * 2 ** 20 });
  if (r.status !== 0) throw new Error(r.stderr.trim() || `tensorboard_read.py exited ${r.status}`);
  return JSON.parse(r.stdout) as ReadRun;
}

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function maskedCrc(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of data) crc = CRC32C_TABLE[(crc ^ b) & 0xff] ^ (crc >>> 8);
  crc = (crc ^ 0xffffffff) >>> 0;
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

function frames(file: string): Buffer[] {
  const buf = fs.readFileSync(file);
  const out: Buffer[] = [];
  for (let off = 0; off < buf.length; ) {
    if (buf.length - off < 12) throw new Error(`${file}: torn record header at byte ${off}`);
    const len = Number(buf.readBigUInt64LE(off));
    if (buf.readUInt32LE(off + 8) !== maskedCrc(buf.subarray(off, off + 8))) throw new Error(`${file}: length CRC mismatch at byte ${off}`);
    if (off + 16 + len > buf.length) throw new Error(`${file}: torn record at byte ${off}`);
    const data = buf.subarray(off + 12, off + 12 + len);
    if (buf.readUInt32LE(off + 12 + len) !== maskedCrc(data)) throw new Error(`${file}: data CRC mismatch at byte ${off}`);
    out.push(data);
    off += 16 + len;
  }
  return out;
}

/** Reads with this file's framing check and protobufjs. */
export function readWithProtobufjs(runDir: string): ReadRun {
  const files: ReadRun['files'] = {};
  const walk = (dir: string): void => {
    for (const name of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      if (fs.statSync(p).isDirectory()) walk(p);
      else if (name.startsWith('events.out.tfevents.')) {
        files[path.relative(runDir, p)] = frames(p).map((data) => {
          const e = decodeEvent(data);
          const what = e.file_version !== undefined ? 'file_version' : e.summary ? 'summary' : e.session_log ? 'session_log' : null;
          return {
            wall_time: e.wall_time, step: e.step, what,
            ...(e.file_version !== undefined ? { file_version: e.file_version } : {}),
            ...(e.session_log ? { session_status: e.session_log.status } : {}),
            ...(e.summary ? {
              values: e.summary.value.map((v) => ({
                tag: v.tag,
                ...(v.simple_value !== undefined ? { simple_value: v.simple_value } : {}),
                ...(v.image ? { image: { height: v.image.height, width: v.image.width, colorspace: v.image.colorspace, png_base64: Buffer.from(v.image.encoded_image_string).toString('base64') } } : {}),
                ...(v.histo ? { histo: v.histo } : {}),
              })),
            } : {}),
          };
        });
      }
    }
  };
  walk(runDir);
  return { files };
}

/** Reads with the Python reader when it can run here, else with protobufjs; says which. */
export function readTensorBoard(runDir: string): ReadRun & { reader: string } {
  return pythonReaderMissing() === undefined
    ? { ...readWithPython(runDir), reader: 'python3-protobuf' }
    : { ...readWithProtobufjs(runDir), reader: 'protobufjs' };
}
