/**
 * Folder-per-class datasets (torchvision's `ImageFolder`, the original's ImageNet code path;
 * `dataset.name ImageFolder`): `<dir>/train/<class>/*.png|jpg` and `<dir>/val/<class>/...`.
 * Classes are the sorted sub-folder names (label = index), files are taken recursively in sorted
 * order, files with other extensions are skipped. Images are decoded once, at load, into memory:
 * - train split: the decoded RGB images as they are (variable sizes, one shared buffer plus a
 *   {@link SourceLayout}); the loader crops them per batch (random resized crop, see augment/resize.ts);
 * - val split (and a part of train/ held out for validation, `processing: 'eval'`): resized
 *   (optional `resize`, shorter side) and center-cropped to `imageSize` at load, so evaluation
 *   batches are fixed-size like the built-in datasets.
 * Everything stays in memory: meant for datasets of thousands of images, not ImageNet itself.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { centerCropBox, cropBox, resampleBox, resizeShorterSide, type SourceLayout } from './augment';
import { sharedBytes, type ImageDataset } from './dataset';
import type { DatasetName } from './dataset_info';
import { decodeImage } from './image_decode';

/** File extensions read (case-insensitive). */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'] as const;

/** The files of one split folder. */
export interface FolderListing {
  /** Sorted class folder names; label i is classes[i]. */
  classes: string[];
  files: string[];
  labels: Int32Array;
}

function walk(dir: string, out: string[]): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if ((IMAGE_EXTENSIONS as readonly string[]).includes(path.extname(e.name).toLowerCase())) out.push(p);
  }
}

/**
 * Lists a split folder.
 * @throws if the folder is missing, has no class sub-folders, or a class has no image
 */
export function listImageFolder(dir: string): FolderListing {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`ImageFolder: ${dir} is not a folder (expected one sub-folder per class)`);
  const classes = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  if (classes.length === 0) throw new Error(`ImageFolder: ${dir} has no class sub-folders`);
  const files: string[] = [];
  const labels: number[] = [];
  classes.forEach((c, i) => {
    const found: string[] = [];
    walk(path.join(dir, c), found);
    if (found.length === 0) throw new Error(`ImageFolder: class folder ${path.join(dir, c)} has no ${IMAGE_EXTENSIONS.join('/')} image`);
    files.push(...found);
    for (let k = 0; k < found.length; k++) labels.push(i);
  });
  return { classes, files, labels: Int32Array.from(labels) };
}

/** Options of {@link loadImageFolder}. */
export interface ImageFolderOptions {
  /** `dataset.dataset_dir`, holding train/ and val/. */
  dir: string;
  /** train reads `train/`, test reads `val/`. */
  split: 'train' | 'test';
  /** `dataset.image_size`: the side of the images the model sees. */
  imageSize: number;
  /** Val split: resize the shorter side to this first (`tta.resize` when `tta.use_resize`); null = no resize. */
  resize?: number | null;
  /** 0/undefined = all; else the first N files in listing order. */
  maxSamples?: number;
  /**
   * Only these files, in this order: indices into the listing (after `maxSamples`), e.g. one part
   * of a train/validation split (runtime/data/dataset.ts `splitIndices`).
   */
  indices?: ArrayLike<number>;
  /**
   * How images are prepared: `train` keeps the decoded images (cropped per batch), `eval` resizes
   * and center-crops them at load. Default: `eval` for the test split, `train` for the train split
   * (the held-out validation part of `train/` is read with `eval`).
   */
  processing?: 'train' | 'eval';
}

/** A loaded folder split: an {@link ImageDataset} plus its classes and, for train, the source layout. */
export interface FolderDataset extends ImageDataset {
  classes: string[];
  /** Train split: where each variable-size image lies in `images` (height/width are then the output size). */
  layout?: SourceLayout;
}

/** `ImageDataset.name` of folder datasets (DatasetName lists the built-in readers only). */
export const IMAGE_FOLDER_NAME = 'ImageFolder' as DatasetName;

/**
 * Reads and decodes a split; see the module comment.
 * @throws for a missing folder or class, an undecodable file (named), a bad image size
 */
export function loadImageFolder(opts: ImageFolderOptions): FolderDataset {
  if (!Number.isInteger(opts.imageSize) || opts.imageSize < 1) throw new Error(`ImageFolder: image size must be a positive integer, got ${opts.imageSize}`);
  const dir = path.resolve(opts.dir || '.', opts.split === 'train' ? 'train' : 'val');
  const listing = listImageFolder(dir);
  const max = opts.maxSamples ?? 0;
  const first = max > 0 ? Math.min(max, listing.files.length) : listing.files.length;
  const pick = opts.indices ? Array.from(opts.indices) : Array.from({ length: first }, (_, i) => i);
  const bad = pick.find((j) => !Number.isInteger(j) || j < 0 || j >= first);
  if (bad !== undefined) throw new Error(`ImageFolder: file index ${bad} out of range [0, ${first})`);
  const n = pick.length;
  const files = pick.map((j) => listing.files[j]);
  const labels = Int32Array.from(pick, (j) => listing.labels[j]);
  const s = opts.imageSize;
  const base = { name: IMAGE_FOLDER_NAME, split: opts.split, labels, n, height: s, width: s, channels: 3, nClasses: listing.classes.length, files, classes: listing.classes };
  if ((opts.processing ?? (opts.split === 'test' ? 'eval' : 'train')) === 'eval') {
    const images = sharedBytes(n * s * s * 3);
    files.forEach((f, i) => {
      let img = decodeImage(fs.readFileSync(f), f);
      if (opts.resize) {
        const [rh, rw] = resizeShorterSide(img.height, img.width, opts.resize);
        const out = new Uint8Array(rh * rw * 3);
        resampleBox(img.data, 0, img.height, img.width, 3, { top: 0, left: 0, height: img.height, width: img.width }, rh, rw, out, 0);
        img = { data: out, height: rh, width: rw };
      }
      cropBox(img.data, 0, img.height, img.width, 3, centerCropBox(img.height, img.width, s, s), images, i * s * s * 3);
    });
    return { ...base, images };
  }
  const decoded = files.map((f) => decodeImage(fs.readFileSync(f), f));
  const total = decoded.reduce((a, d) => a + d.data.length, 0);
  const images = sharedBytes(total);
  const layout: SourceLayout = { offsets: new Float64Array(n), heights: new Int32Array(n), widths: new Int32Array(n) };
  let off = 0;
  decoded.forEach((d, i) => {
    images.set(d.data, off);
    layout.offsets[i] = off;
    layout.heights[i] = d.height;
    layout.widths[i] = d.width;
    off += d.data.length;
  });
  return { ...base, images, layout };
}
