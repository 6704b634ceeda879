/**
 * The `tensorboard.Event` protobuf (with `Summary`, `HistogramProto`, `SessionLog`), loaded by protobufjs
 * from the .proto files in ./proto (subsets of tensorflow/tensorboard's, see their headers). The bundled
 * CLIs find them in dist/cli/proto (scripts/build.mjs copies them there).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';

/** `SessionLog.SessionStatus.START`: TensorBoard drops what it read at steps >= this event's step. */
export const SESSION_START = 1;

/** A histogram as TensorBoard stores it: counts of (bucket_limit[i-1], bucket_limit[i]]. */
export interface HistogramProto {
  min: number;
  max: number;
  num: number;
  sum: number;
  sum_squares: number;
  bucket_limit: number[];
  bucket: number[];
}

/** An encoded image of a summary (PNG here); colorspace 3 = RGB. */
export interface SummaryImage {
  height: number;
  width: number;
  colorspace: number;
  encoded_image_string: Uint8Array;
}

/** One tagged value of a summary: exactly one of the value fields is set. */
export interface SummaryValue {
  tag: string;
  simple_value?: number;
  image?: SummaryImage;
  histo?: HistogramProto;
}

/** A `tensorboard.Event`: exactly one of file_version, summary, session_log is set. */
export interface TbEvent {
  /** Seconds since the Unix epoch. */
  wall_time: number;
  step: number;
  file_version?: string;
  summary?: { value: SummaryValue[] };
  session_log?: { status: number; checkpoint_path?: string; msg?: string };
}

/** Where the .proto files are: beside this module (sources) or beside the bundled CLI. */
function protoDir(): string {
  const here = path.join(__dirname, 'proto');
  return fs.existsSync(path.join(here, 'event.proto')) ? here : path.join(__dirname, 'tensorboard-proto');
}

let eventType: protobuf.Type | undefined;

function type(): protobuf.Type {
  if (!eventType) {
    const root = new protobuf.Root();
    const dir = protoDir();
    root.resolvePath = (_origin, target) => path.join(dir, path.basename(target));
    root.loadSync('event.proto', { keepCase: true });
    eventType = root.lookupType('tensorboard.Event');
  }
  return eventType;
}

/** The serialized bytes of an event. */
export function encodeEvent(e: TbEvent): Uint8Array {
  const t = type();
  return t.encode(t.fromObject(e)).finish();
}

/** Parses an event's bytes (int64 steps and bytes fields as plain numbers and Uint8Arrays). */
export function decodeEvent(data: Uint8Array): TbEvent {
  const t = type();
  return t.toObject(t.decode(data), { longs: Number, defaults: true, oneofs: false }) as TbEvent;
}
