/**
 * Datasets download themselves: torchvision's archives served by a loopback server (fixtures in
 * the real formats: a GNU tar.gz of the CIFAR python version, gzip IDX files) with their real
 * MD5s; success, a second run that downloads nothing, resume after a cut connection and across
 * runs, a bad checksum, a 404, a stalled server, downloading turned off. No test reaches the internet.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadDataset } from '../../runtime/data/dataset';
import { ensureDataset, type EnsureDatasetOptions } from '../../runtime/data/download';
import { DATASET_SOURCES, type RemoteFile } from '../../runtime/data/sources';
import { idxImagesBytes, idxLabelsBytes, isolated, label, pixel, tempDir, writeCifarPython } from './fixtures';
import { serveFiles, type TestServer } from './http_server';
import * as zlib from 'node:zlib';

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

/** `tar -czf` of `folder` (GNU tar, as the dataset authors made theirs). */
function tarGz(folder: string): Buffer {
  const out = `${folder}.tar.gz`;
  const r = spawnSync('tar', ['-czf', out, '-C', path.dirname(folder), path.basename(folder)]);
  assert.equal(r.status, 0, String(r.stderr));
  return fs.readFileSync(out);
}

const root = tempDir('icl-download-');
const cifarDir = writeCifarPython(path.join(root, 'src'), 'CIFAR10', 4, 3);
const cifarArchive = tarGz(cifarDir);
const idxFiles: Record<string, Buffer> = {
  'train-images-idx3-ubyte.gz': zlib.gzipSync(idxImagesBytes(6, 28, 28)),
  'train-labels-idx1-ubyte.gz': zlib.gzipSync(idxLabelsBytes([0, 1, 2, 3, 4, 5].map((i) => label(i)))),
  't10k-images-idx3-ubyte.gz': zlib.gzipSync(idxImagesBytes(2, 28, 28)),
  't10k-labels-idx1-ubyte.gz': zlib.gzipSync(idxLabelsBytes([label(0), label(1)])),
};
const served: Record<string, Buffer> = { 'cifar-10-python.tar.gz': cifarArchive, ...idxFiles, 'bad/cifar-10-python.tar.gz': Buffer.concat([cifarArchive.subarray(0, 100), Buffer.from('x'), cifarArchive.subarray(101)]) };

/** The fixtures' MD5s in place of torchvision's, for the duration of the tests. */
const realMd5 = new Map<RemoteFile, string>();
function useFixtureMd5s(): void {
  for (const s of [DATASET_SOURCES.CIFAR10, DATASET_SOURCES.FashionMNIST]) {
    for (const f of s.files) {
      realMd5.set(f, f.md5);
      (f as { md5: string }).md5 = md5(served[f.name]);
    }
  }
}

describe('dataset download', () => {
  let server: TestServer;
  before(async () => {
    useFixtureMd5s();
    server = await serveFiles(served);
  });
  after(async () => {
    for (const [f, m] of realMd5) (f as { md5: string }).md5 = m;
    await server.close();
  });

  /** Options for a machine without the dataset: nothing in the search path, downloads into `cache`. */
  function fresh(name: string, extra: Partial<EnsureDatasetOptions> = {}): { opts: EnsureDatasetOptions; cache: string; log: string[] } {
    const dir = tempDir('icl-dl-');
    const cache = path.join(dir, 'cache');
    const log: string[] = [];
    const opts: EnsureDatasetOptions = {
      ...isolated(dir), env: { ICL_DATA_DIR: cache, ICL_DATASET_MIRROR: server.url }, name, download: true, log: (m) => log.push(m), timeoutMs: 2000, ...extra,
    };
    return { opts, cache, log };
  }

  it('CIFAR-10: downloads the archive, checks its MD5, extracts it into place and reads it; a second run downloads nothing', async () => {
    const { opts, cache, log } = fresh('CIFAR10');
    const progress: number[] = [];
    server.requests.length = 0;
    const r = await ensureDataset({ ...opts, onProgress: (file, done, total) => {
      assert.equal(file, 'cifar-10-python.tar.gz');
      assert.equal(total, cifarArchive.length);
      progress.push(done);
    } });
    const folder = path.join(cache, 'cifar-10-batches-py');
    assert.equal(r.train.dir, folder);
    assert.equal(r.test.dir, folder);
    assert.deepEqual(r.downloaded, [path.join(cache, 'cifar-10-python.tar.gz')]);
    assert.equal(progress[progress.length - 1], cifarArchive.length);
    assert.deepEqual(fs.readdirSync(cache).sort(), ['cifar-10-batches-py'], 'archive, .part, lock and temp folder are gone');
    assert.deepEqual(fs.readdirSync(folder).sort(), ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5', 'readme.html', 'test_batch']);
    assert.ok(log.includes(`downloading ${server.url}cifar-10-python.tar.gz to ${path.join(cache, 'cifar-10-python.tar.gz')}`), log.join('\n'));
    assert.ok(log.some((l) => l.startsWith(`extracted CIFAR10 into ${folder}`)), log.join('\n'));
    assert.deepEqual(server.requests, [{ path: 'cifar-10-python.tar.gz', range: undefined }]);

    const train = loadDataset({ ...opts, split: 'train' });
    assert.equal(train.n, 20);
    assert.deepEqual(Array.from(train.labels), Array.from({ length: 20 }, (_, i) => label(i)));
    // image 13 (batch 4, record 1), pixel (y 5, x 7), green
    assert.equal(train.images[((13 * 32 + 5) * 32 + 7) * 3 + 1], pixel(13, 5, 7, 1));
    assert.equal(loadDataset({ ...opts, split: 'test' }).n, 3);

    const again = await ensureDataset(opts);
    assert.deepEqual(again.downloaded, []);
    assert.equal(server.requests.length, 1, 'the second run made no request');
  });

  it('FashionMNIST: resumes after a cut connection and from a .part left by an earlier run', async () => {
    const { opts, cache } = fresh('FashionMNIST');
    const raw = path.join(cache, 'FashionMNIST', 'raw');
    fs.mkdirSync(raw, { recursive: true });
    fs.writeFileSync(path.join(raw, 't10k-labels-idx1-ubyte.gz.part'), idxFiles['t10k-labels-idx1-ubyte.gz'].subarray(0, 10));
    server.requests.length = 0;
    server.faults.set('train-images-idx3-ubyte.gz', [{ cut: 100 }]);
    const r = await ensureDataset(opts);
    assert.equal(r.train.dir, raw);
    assert.equal(r.downloaded.length, 4);
    const ranges = (p: string): Array<string | undefined> => server.requests.filter((q) => q.path === p).map((q) => q.range);
    assert.deepEqual(ranges('train-images-idx3-ubyte.gz'), [undefined, 'bytes=100-']);
    assert.deepEqual(ranges('t10k-labels-idx1-ubyte.gz'), ['bytes=10-']);
    for (const [name, bytes] of Object.entries(idxFiles)) assert.deepEqual(fs.readFileSync(path.join(raw, name)), bytes, name);
    assert.deepEqual(fs.readdirSync(raw).filter((f) => f.endsWith('.part')), []);
    const test = loadDataset({ ...opts, split: 'test' });
    assert.equal(test.images[784 + 5], pixel(1, 0, 5));
  });

  it('two runs at once: one downloads, the other waits for it and downloads nothing', async () => {
    const { opts, cache, log } = fresh('CIFAR10');
    server.requests.length = 0;
    const [a, b] = await Promise.all([ensureDataset(opts), ensureDataset(opts)]);
    assert.equal(server.requests.length, 1);
    assert.deepEqual([a.downloaded.length + b.downloaded.length, a.train.dir, b.train.dir], [1, path.join(cache, 'cifar-10-batches-py'), path.join(cache, 'cifar-10-batches-py')]);
    assert.ok(log.some((l) => l.startsWith(`waiting for process ${process.pid} on `)), log.join('\n'));
    assert.deepEqual(fs.readdirSync(cache), ['cifar-10-batches-py']);
  });

  it('a bad checksum deletes the file and says so', async () => {
    const { opts, cache } = fresh('CIFAR10');
    const mirror = `${server.url}bad/`;
    const part = path.join(cache, 'cifar-10-python.tar.gz.part');
    await assert.rejects(ensureDataset({ ...opts, env: { ...opts.env, ICL_DATASET_MIRROR: mirror } }), (e: Error) => {
      assert.equal(e.name, 'DownloadError');
      assert.equal(e.message, `${part}: checksum mismatch (MD5 ${md5(served['bad/cifar-10-python.tar.gz'])}, expected ${md5(cifarArchive)}, ` +
        `${cifarArchive.length} bytes from ${mirror}cifar-10-python.tar.gz); the file was deleted: run again, or check ICL_DATASET_MIRROR`);
      return true;
    });
    assert.deepEqual(fs.readdirSync(cache), []);
  });

  it('a 404 names the URL and what to do', async () => {
    const { opts, cache } = fresh('CIFAR10');
    const mirror = `${server.url}nothing-here/`;
    await assert.rejects(ensureDataset({ ...opts, env: { ...opts.env, ICL_DATASET_MIRROR: mirror } }), {
      name: 'DownloadError',
      message: `${mirror}cifar-10-python.tar.gz: HTTP 404 Not Found; the file is not at this address (check ICL_DATASET_MIRROR, or download it by hand)`,
    });
    assert.deepEqual(fs.readdirSync(cache), []);
  });

  it('a stalled server times out with one line; the .part is kept for the next run, which resumes it', async () => {
    const { opts, cache } = fresh('CIFAR10', { timeoutMs: 300 });
    server.faults.set('cifar-10-python.tar.gz', [{ stall: 500 }, { stall: 500 }, { stall: 500 }]);
    const t0 = Date.now();
    await assert.rejects(ensureDataset(opts), (e: Error) => {
      assert.match(e.message, new RegExp(`^${server.url}cifar-10-python\\.tar\\.gz: no data for 0\\.3 s after 500 bytes \\(server stalled\\); run again to resume`));
      assert.equal(e.message.includes('\n'), false);
      return true;
    });
    assert.ok(Date.now() - t0 < 10_000);
    assert.equal(fs.statSync(path.join(cache, 'cifar-10-python.tar.gz.part')).size, 1500);
    assert.equal(fs.existsSync(path.join(cache, 'cifar-10-batches-py')), false);
    server.requests.length = 0;
    const r = await ensureDataset(opts);
    assert.equal(r.train.dir, path.join(cache, 'cifar-10-batches-py'));
    assert.deepEqual(server.requests.map((q) => q.range), ['bytes=1500-']);
  });

  it('a full disk names the file and what to do', { skip: !fs.existsSync('/dev/full') && 'no /dev/full' }, async () => {
    const { opts, cache } = fresh('CIFAR10');
    fs.mkdirSync(cache, { recursive: true });
    const part = path.join(cache, 'cifar-10-python.tar.gz.part');
    fs.symlinkSync('/dev/full', part); // every write fails with ENOSPC
    await assert.rejects(ensureDataset(opts), {
      name: 'DownloadError',
      message: `${part}: disk full (ENOSPC) after 0 bytes; free space or set ICL_DATA_DIR to another disk, then run again to resume`,
    });
    assert.equal(fs.existsSync(path.join(cache, 'cifar-10-batches-py')), false);
  });

  it('a folder left by a killed extraction is never taken for data, and is removed by the next download', async () => {
    const { opts, cache } = fresh('CIFAR10');
    const temp = path.join(cache, '.cifar-10-batches-py.tmp-999999-0123abcd');
    writeCifarPython(temp, 'CIFAR10', 1, 1);
    await assert.rejects(ensureDataset({ ...opts, download: false }), (e: Error) => {
      assert.match(e.message, /^CIFAR10 train split not found/);
      assert.match(e.message, /\(Downloading is off: dataset\.download is False or --no-download was given\.\)$/);
      return true;
    });
    // The archive itself was complete (renamed after its MD5 matched): extracted again, not downloaded.
    fs.writeFileSync(path.join(cache, 'cifar-10-python.tar.gz'), cifarArchive);
    server.requests.length = 0;
    await ensureDataset(opts);
    assert.equal(server.requests.length, 0);
    assert.deepEqual(fs.readdirSync(cache), ['cifar-10-batches-py']);
  });

  it('an archive in the way that is not the right one is deleted and downloaded again', async () => {
    const { opts, cache, log } = fresh('CIFAR10');
    fs.mkdirSync(cache, { recursive: true });
    fs.writeFileSync(path.join(cache, 'cifar-10-python.tar.gz'), 'not it');
    server.requests.length = 0;
    await ensureDataset(opts);
    assert.equal(server.requests.length, 1);
    assert.ok(log.includes(`${path.join(cache, 'cifar-10-python.tar.gz')}: MD5 does not match ${md5(cifarArchive)}; deleting it and downloading it again`), log.join('\n'));
    assert.deepEqual(fs.readdirSync(cache), ['cifar-10-batches-py']);
  });

  it('an explicit dataset_dir: missing is a ConfigError; existing, the dataset is downloaded into it', async () => {
    const { opts } = fresh('FashionMNIST');
    const mine = path.join(path.dirname(opts.cwd!), 'mine');
    await assert.rejects(ensureDataset({ ...opts, datasetDir: mine }), { name: 'ConfigError' });
    fs.mkdirSync(mine);
    const r = await ensureDataset({ ...opts, datasetDir: mine });
    assert.equal(r.train.dir, path.join(mine, 'FashionMNIST', 'raw'));
  });
});
