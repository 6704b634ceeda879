/** The tar.gz extractor on archives made by GNU tar (gnu and pax formats) and on broken ones. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import * as zlib from 'node:zlib';
import { extractTarGz } from '../../runtime/data/tar';
import { tempDir } from './fixtures';

/** Files of every awkward size and a path longer than ustar's 100-byte name field. */
function sourceTree(root: string): Record<string, Buffer> {
  const long = `${'a'.repeat(60)}/${'b'.repeat(70)}/c.bin`;
  const files: Record<string, Buffer> = {
    'top/empty': Buffer.alloc(0),
    'top/block': Buffer.alloc(512, 7),
    'top/block+1': Buffer.alloc(513, 9),
    [`top/${long}`]: Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 13) % 256)),
  };
  for (const [name, bytes] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), bytes);
  }
  return files;
}

for (const format of ['gnu', 'pax', 'ustar']) {
  test(`extracts a ${format}-format archive of GNU tar byte for byte`, async () => {
    const dir = tempDir();
    const files = sourceTree(path.join(dir, 'src'));
    const archive = path.join(dir, 'x.tar.gz');
    const r = spawnSync('tar', [`--format=${format}`, '-czf', archive, '-C', path.join(dir, 'src'), 'top']);
    assert.equal(r.status, 0, String(r.stderr));
    const out = path.join(dir, 'out');
    const written = await extractTarGz(archive, out);
    assert.deepEqual(written.sort(), Object.keys(files).sort());
    for (const [name, bytes] of Object.entries(files)) assert.deepEqual(fs.readFileSync(path.join(out, name)), bytes, name);
  });
}

/** One ustar header block for a regular file `name` of `size` bytes (old GNU magic: `gnuTimes` fills its atime/ctime). */
function header(name: string, size: number, gnuTimes = false): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 'utf8');
  if (gnuTimes) h.write('14650142551\x0014650142551\x00', 345, 'latin1');
  h.write('0000644\0', 100);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h[156] = 0x30;
  if (gnuTimes) h.write('ustar  \0', 257, 'latin1');
  else {
    h.write('ustar\0', 257);
    h.write('00', 263);
  }
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

test('an old GNU header keeps times where POSIX has the name prefix: the name is not prefixed with them', async () => {
  const dir = tempDir();
  const archive = path.join(dir, 'gnu.tar.gz');
  fs.writeFileSync(archive, zlib.gzipSync(Buffer.concat([header('top/f', 3, true), Buffer.from('abc'), Buffer.alloc(509 + 1024)])));
  assert.deepEqual(await extractTarGz(archive, path.join(dir, 'out')), ['top/f']);
  assert.equal(fs.readFileSync(path.join(dir, 'out', 'top', 'f'), 'utf8'), 'abc');
});

test('refuses a member that would land outside the folder, and names a truncated or corrupt archive', async () => {
  const dir = tempDir();
  const evil = path.join(dir, 'evil.tar.gz');
  fs.writeFileSync(evil, zlib.gzipSync(Buffer.concat([header('../escape', 3), Buffer.alloc(512, 0x41), Buffer.alloc(1024)])));
  await assert.rejects(extractTarGz(evil, path.join(dir, 'out')), { message: `${evil}: archive member "../escape" would be written outside the extraction folder; refusing it` });
  assert.equal(fs.existsSync(path.join(dir, 'escape')), false);

  const cut = path.join(dir, 'cut.tar.gz');
  fs.writeFileSync(cut, zlib.gzipSync(Buffer.concat([header('top/f', 2000), Buffer.alloc(1024, 1)])));
  await assert.rejects(extractTarGz(cut, path.join(dir, 'out2')), { message: `${cut}: truncated tar archive (ends at uncompressed byte 1536 before its end-of-archive block)` });

  const bad = path.join(dir, 'bad.tar.gz');
  const h = header('top/f', 1);
  h[0] = 0x7a; // name changed after the checksum was computed
  fs.writeFileSync(bad, zlib.gzipSync(Buffer.concat([h, Buffer.alloc(1536)])));
  await assert.rejects(extractTarGz(bad, path.join(dir, 'out3')), /bad\.tar\.gz: corrupt tar header at byte 0 \(checksum \d+, stored \d+\)$/);

  const notGz = path.join(dir, 'plain.tar.gz');
  fs.writeFileSync(notGz, Buffer.alloc(2048));
  await assert.rejects(extractTarGz(notGz, path.join(dir, 'out4')), /plain\.tar\.gz: corrupt gzip data near uncompressed byte 0 \(incorrect header check\)$/);
});
