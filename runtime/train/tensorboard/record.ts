/**
 * TFRecord framing, the container of TensorBoard event files (tensorflow/core/lib/io/record_writer.cc):
 * every record is
 *
 *     uint64 length (little-endian) | uint32 masked_crc32c(length bytes) | data | uint32 masked_crc32c(data)
 *
 * with CRC-32C (Castagnoli) from the `crc-32` package, masked as TensorFlow does:
 * `((crc >>> 15) | (crc << 17)) + 0xa282ead8` (mod 2^32).
 */
// crc-32's types describe its default export only; crc32c.js has the same API (buf, bstr, str).
import * as CRC32C from 'crc-32/crc32c';

const MASK_DELTA = 0xa282ead8;

/** TensorFlow's masked CRC-32C of `data` (uint32). */
export function maskedCrc32c(data: Uint8Array): number {
  const crc = CRC32C.buf(data) >>> 0;
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0;
}

/** One framed record holding `data`. */
export function frameRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length + 4);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return out;
}

/** The records of a file, and where they stop being readable. */
export interface ReadRecords {
  records: Buffer[];
  /** Byte offset just after the last good record (the file's length when all of it is good). */
  goodBytes: number;
  /** Why reading stopped before the end: a truncated record (a writer killed mid-write) or a CRC mismatch. */
  problem?: string;
}

/**
 * Splits a TFRecord file's bytes into records, checking both CRCs of each. Stops at the first
 * truncated or corrupt record (as TensorBoard's reader does) and says where and why.
 */
export function readRecords(buf: Buffer): ReadRecords {
  const records: Buffer[] = [];
  let off = 0;
  while (off < buf.length) {
    if (buf.length - off < 12) return { records, goodBytes: off, problem: `truncated record header at byte ${off}` };
    if (buf.readUInt32LE(off + 8) !== maskedCrc32c(buf.subarray(off, off + 8))) {
      return { records, goodBytes: off, problem: `length CRC mismatch at byte ${off}` };
    }
    const len = buf.readBigUInt64LE(off);
    if (len > BigInt(buf.length - off - 16)) return { records, goodBytes: off, problem: `truncated record at byte ${off}` };
    const n = Number(len);
    const data = buf.subarray(off + 12, off + 12 + n);
    if (buf.readUInt32LE(off + 12 + n) !== maskedCrc32c(data)) {
      return { records, goodBytes: off, problem: `data CRC mismatch in the record at byte ${off}` };
    }
    records.push(data);
    off += 16 + n;
  }
  return { records, goodBytes: off };
}
