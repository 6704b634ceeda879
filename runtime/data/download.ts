/**
 * Making sure a built-in dataset is on disk before a run reads it, as torchvision's
 * `download=True` does in the original: when the search of ./locate.ts finds a split missing, the
 * dataset's archives (./sources.ts) are downloaded, MD5-checked and extracted. Nothing
 * half-written is ever taken for data: files arrive as `.part` files renamed once their MD5
 * matched, and an archive is extracted into a temp folder renamed into place when complete.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pidAlive } from '../util/pid';
import { ConfigError } from '../config/errors';
import { datasetInfo, type DatasetName } from './dataset_info';
import { DownloadError, downloadFile, md5File } from './http_download';
import { defaultDownloadDir, explicitDatasetDir, locateDataset, type LocatedDataset, type LocateEnvironment } from './locate';
import { DATASET_SOURCES, mirrorsFor, type RemoteFile } from './sources';
import { extractTarGz } from './tar';

/** Options of {@link ensureDataset}. */
export interface EnsureDatasetOptions extends LocateEnvironment {
  /** One of DATASET_NAMES (letter case ignored). */
  name: string;
  /** The config's `dataset.dataset_dir`; when set, only it is searched and downloads go into it. */
  datasetDir?: string;
  /** `dataset.download`: false = never download (a missing dataset is the not-found error). */
  download: boolean;
  /** One line per event (what is downloaded, from where, to where). */
  log?: (message: string) => void;
  /** Download progress of one file: bytes so far, total if known. */
  onProgress?: (file: string, done: number, total: number | undefined) => void;
  /** Idle timeout of a download, ms (see downloadFile). */
  timeoutMs?: number;
}

/** Where each split of a dataset is, and what was downloaded to get it. */
export interface EnsuredDataset {
  train: LocatedDataset;
  test: LocatedDataset;
  /** Absolute paths of the files downloaded now (archives are deleted once extracted). */
  downloaded: string[];
}

function tryLocate(opts: EnsureDatasetOptions, split: 'train' | 'test'): LocatedDataset | Error {
  try {
    return locateDataset({ ...opts, split });
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    return err as Error;
  }
}

const TEMP = /^\.(.+)\.tmp-(\d+)-[0-9a-f]+$/;

/** Removes extraction folders left by killed processes (`.<folder>.tmp-<pid>-<hex>`). */
function removeStaleTemps(base: string): void {
  for (const entry of fs.existsSync(base) ? fs.readdirSync(base) : []) {
    const m = TEMP.exec(entry);
    if (m && !pidAlive(Number(m[2]))) fs.rmSync(path.join(base, entry), { recursive: true, force: true });
  }
}

/**
 * Holds `lockFile` (created exclusively, holding pid and host) while `body` runs, so that two
 * processes never write one download at once. A lock of a dead process on this host is taken over;
 * a live one is waited for, then `recheck` decides whether there is anything left to do.
 */
async function withLock<T>(lockFile: string, log: (m: string) => void, recheck: () => T | undefined, body: () => Promise<T>): Promise<T> {
  let waited = false;
  for (;;) {
    try {
      fs.writeFileSync(lockFile, `${process.pid} ${os.hostname()}\n`, { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const [pid, host] = (fs.readFileSync(lockFile, 'utf8').trim() || '0').split(' ');
      if (host === os.hostname() && !pidAlive(Number(pid))) {
        fs.rmSync(lockFile, { force: true });
        continue;
      }
      if (!waited) log(`waiting for process ${pid} on ${host}, which is downloading into ${path.dirname(lockFile)} (${lockFile})`);
      waited = true;
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
  }
  try {
    if (waited) {
      const done = recheck();
      if (done !== undefined) return done;
    }
    return await body();
  } finally {
    fs.rmSync(lockFile, { force: true });
  }
}

/** Downloads one file into `dest`, trying each mirror in turn. */
async function fetchFile(name: DatasetName, file: RemoteFile, dest: string, opts: EnsureDatasetOptions, log: (m: string) => void): Promise<void> {
  const mirrors = mirrorsFor(name, opts.env ?? process.env);
  let last: Error | undefined;
  for (const mirror of mirrors) {
    const url = `${mirror}${file.name}`;
    log(`downloading ${url} to ${dest}`);
    try {
      const r = await downloadFile(url, dest, { md5: file.md5, timeoutMs: opts.timeoutMs, onProgress: (done, total) => opts.onProgress?.(file.name, done, total) });
      log(`downloaded ${file.name} (${(r.bytes / 1e6).toFixed(1)} MB${r.resumedFrom ? `, resumed at ${(r.resumedFrom / 1e6).toFixed(1)} MB` : ''}; MD5 ${file.md5} checked)`);
      return;
    } catch (err) {
      if (!(err instanceof DownloadError)) throw err;
      last = err;
      if (mirror !== mirrors[mirrors.length - 1]) log(`${err.message} (trying the next mirror)`);
    }
  }
  throw last ?? new DownloadError(`${file.name}: no mirror to download it from`);
}

/**
 * Finds both splits of a built-in dataset, downloading it first when a split is missing and
 * `download` is on. Downloads go into the explicit `datasetDir` if given (as torchvision's
 * `root`), else `$ICL_DATA_DIR`, else `~/.cache/image-classification-lab`; the same base's lock
 * file (`.<Name>.download.lock`) keeps concurrent runs from writing the same files.
 * @returns where each split is (logs a warning when they come from different folders)
 * @throws ConfigError for an explicit `datasetDir` that does not exist; the not-found error of
 *   locateDataset when `download` is off; DownloadError (one line) for a failed download;
 *   an error naming the folder when a folder of the dataset's name exists but is incomplete
 */
export async function ensureDataset(opts: EnsureDatasetOptions): Promise<EnsuredDataset> {
  const info = datasetInfo(opts.name);
  const log = opts.log ?? (() => undefined);
  const both = (): { train: LocatedDataset; test: LocatedDataset } | Error => {
    const train = tryLocate(opts, 'train');
    if (train instanceof Error) return train;
    const test = tryLocate(opts, 'test');
    return test instanceof Error ? test : { train, test };
  };
  const finish = (found: { train: LocatedDataset; test: LocatedDataset }, downloaded: string[]): EnsuredDataset => {
    if (found.train.dir !== found.test.dir) log(`${info.name}: train files from ${found.train.dir}, test files from ${found.test.dir}`);
    return { ...found, downloaded };
  };
  const first = both();
  if (!(first instanceof Error)) return finish(first, []);
  if (!opts.download) {
    first.message += '\n(Downloading is off: dataset.download is False or --no-download was given.)';
    throw first;
  }
  const base = explicitDatasetDir(opts.datasetDir, opts) ?? defaultDownloadDir(opts);
  fs.mkdirSync(base, { recursive: true });
  const source = DATASET_SOURCES[info.name];
  const folder = path.join(base, ...source.folder.split('/'));
  const downloaded: string[] = [];
  const recheck = (): EnsuredDataset | undefined => {
    const again = both();
    return again instanceof Error ? undefined : finish(again, []);
  };
  return withLock(path.join(base, `.${info.name}.download.lock`), log, recheck, async () => {
    removeStaleTemps(base);
    if (source.kind === 'files') {
      fs.mkdirSync(folder, { recursive: true });
      for (const file of source.files) {
        const dest = path.join(folder, file.name);
        if (fs.existsSync(dest)) continue;
        await fetchFile(info.name, file, dest, opts, log);
        downloaded.push(dest);
      }
    } else {
      if (fs.existsSync(folder)) {
        throw new Error(`${folder} exists but does not hold every file of ${info.name} (see the search above): delete it to download ${info.name} again, or complete it by hand`);
      }
      const file = source.files[0];
      const archive = path.join(base, file.name);
      if (fs.existsSync(archive) && (await md5File(archive)) !== file.md5) {
        log(`${archive}: MD5 does not match ${file.md5}; deleting it and downloading it again`);
        fs.rmSync(archive);
      }
      if (!fs.existsSync(archive)) {
        await fetchFile(info.name, file, archive, opts, log);
        downloaded.push(archive);
      }
      const temp = path.join(base, `.${path.basename(folder)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
      try {
        log(`extracting ${archive}`);
        await extractTarGz(archive, temp);
        const extracted = path.join(temp, path.basename(folder));
        if (!fs.existsSync(extracted)) throw new Error(`${archive}: the archive holds no folder ${path.basename(folder)}/`);
        fs.renameSync(extracted, folder);
      } finally {
        fs.rmSync(temp, { recursive: true, force: true });
      }
      fs.rmSync(archive, { force: true });
      log(`extracted ${info.name} into ${folder} (deleted ${file.name})`);
    }
    const found = both();
    if (found instanceof Error) {
      throw new Error(`downloaded ${info.name} into ${base}, but it is still not found there: ${found.message.split('\n')[0]}`);
    }
    log(`${info.name} is in ${found.train.dir}`);
    return finish(found, downloaded);
  });
}
