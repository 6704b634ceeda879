/**
 * Extracting a gzip-compressed tar archive (POSIX ustar, with GNU long names and pax headers) with
 * Node's zlib. Minimal on purpose: it only ever reads the dataset archives of ./sources.ts after
 * their MD5 matched, and writes regular files and folders; links and devices are skipped, and a
 * member path that is absolute or climbs out with `..` is refused. (No tar package is in the
 * project's dependencies; `tar` from npm could replace this module.)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

const BLOCK = 512;

/** A member's header fields that extraction needs. */
interface Header {
  name: string;
  size: number;
  type: string;
}

function cString(buf: Buffer, start: number, length: number): string {
  const end = buf.indexOf(0, start);
  return buf.toString('utf8', start, end < 0 || end > start + length ? start + length : end);
}

function octal(buf: Buffer, start: number, length: number, file: string, at: number): number {
  const text = cString(buf, start, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new Error(`${file}: corrupt tar header at byte ${at} (field "${text}" is not octal)`);
  return parseInt(text, 8);
}

/** Parses a 512-byte header; null for the all-zero end-of-archive block. */
function parseHeader(block: Buffer, file: string, at: number): Header | null {
  if (block.every((b) => b === 0)) return null;
  const stored = octal(block, 148, 8, file, at);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i];
  if (sum !== stored) throw new Error(`${file}: corrupt tar header at byte ${at} (checksum ${sum}, stored ${stored})`);
  const name = cString(block, 0, 100);
  // POSIX ustar ("ustar\0") has a name prefix at 345; old GNU headers ("ustar  \0") keep times there.
  const prefix = block.toString('latin1', 257, 263) === 'ustar\0' ? cString(block, 345, 155) : '';
  return { name: prefix ? `${prefix}/${name}` : name, size: octal(block, 124, 12, file, at), type: String.fromCharCode(block[156] || 0x30) };
}

/** The `path` record of a pax extended header, if any. */
function paxPath(data: Buffer): string | undefined {
  let i = 0;
  let found: string | undefined;
  while (i < data.length) {
    const space = data.indexOf(0x20, i);
    if (space < 0) break;
    const len = Number(data.toString('latin1', i, space));
    if (!Number.isInteger(len) || len <= 0) break;
    const record = data.toString('utf8', space + 1, i + len - 1);
    const eq = record.indexOf('=');
    if (record.slice(0, eq) === 'path') found = record.slice(eq + 1);
    i += len;
  }
  return found;
}

/** `dest/name`, refusing names that are absolute or leave `dest`. */
function safeJoin(dest: string, name: string, file: string): string {
  const norm = path.posix.normalize(name);
  if (path.posix.isAbsolute(norm) || norm === '..' || norm.startsWith('../')) {
    throw new Error(`${file}: archive member "${name}" would be written outside the extraction folder; refusing it`);
  }
  return path.join(dest, ...norm.split('/'));
}

/**
 * Extracts the `.tar.gz` file `archive` into the folder `dest` (created if needed).
 * @returns the member paths written (regular files), relative, with `/`
 * @throws naming the archive and byte offset for a corrupt header or gzip stream, a truncated
 *   archive, or a member path outside `dest`; file-system errors name the file
 */
export async function extractTarGz(archive: string, dest: string): Promise<string[]> {
  fs.mkdirSync(dest, { recursive: true });
  const written: string[] = [];
  let buf: Buffer = Buffer.alloc(0);
  let offset = 0; // of buf[0] in the uncompressed stream
  let member: { header: Header; fd?: number; left: number; data?: Buffer[] } | undefined;
  let pad = 0; // bytes of block padding still to skip
  let longName: string | undefined;
  let ended = false;
  const advance = (n: number): void => {
    buf = buf.subarray(n);
    offset += n;
  };
  const finish = (m: NonNullable<typeof member>): void => {
    if (m.fd !== undefined) fs.closeSync(m.fd);
    if (m.data) {
      const data = Buffer.concat(m.data);
      longName = m.header.type === 'L' ? cString(data, 0, data.length) : paxPath(data) ?? longName;
    }
    pad = (BLOCK - (m.header.size % BLOCK)) % BLOCK;
  };
  const input = fs.createReadStream(archive).pipe(zlib.createGunzip());
  try {
    for await (const chunk of input) {
      buf = buf.length ? Buffer.concat([buf, chunk as Buffer]) : (chunk as Buffer);
      while (!ended) {
        if (pad > 0) {
          const d = Math.min(pad, buf.length);
          advance(d);
          pad -= d;
          if (pad > 0) break;
        } else if (member) {
          const take = Math.min(member.left, buf.length);
          if (member.fd !== undefined) fs.writeSync(member.fd, buf, 0, take);
          else if (member.data) member.data.push(Buffer.from(buf.subarray(0, take)));
          advance(take);
          member.left -= take;
          if (member.left > 0) break;
          finish(member);
          member = undefined;
        } else {
          if (buf.length < BLOCK) break;
          const header = parseHeader(buf.subarray(0, BLOCK), archive, offset);
          advance(BLOCK);
          if (!header) {
            ended = true;
            break;
          }
          const name = longName ?? header.name;
          longName = undefined;
          if (header.type === 'L' || header.type === 'x') {
            member = { header, left: header.size, data: [] };
          } else if (header.type === '0' || header.type === '7') {
            const target = safeJoin(dest, name, archive);
            fs.mkdirSync(path.dirname(target), { recursive: true });
            member = { header, left: header.size, fd: fs.openSync(target, 'w') };
            written.push(path.posix.normalize(name));
          } else {
            if (header.type === '5') fs.mkdirSync(safeJoin(dest, name, archive), { recursive: true });
            // 'g' (global pax), links, devices and the rest: skipped, with their data.
            member = { header, left: header.size };
          }
        }
      }
    }
  } catch (err) {
    if (member?.fd !== undefined) fs.closeSync(member.fd);
    const e = err as NodeJS.ErrnoException;
    if (e.code?.startsWith('Z_')) throw new Error(`${archive}: corrupt gzip data near uncompressed byte ${offset} (${e.message})`);
    throw err;
  }
  if (!ended) {
    if (member?.fd !== undefined) fs.closeSync(member.fd);
    throw new Error(`${archive}: truncated tar archive (ends at uncompressed byte ${offset + buf.length} before its end-of-archive block)`);
  }
  return written;
}
