/** A small folder-per-class PNG/JPEG dataset written into a temp folder (removed at exit). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

/** Pixel (r, g, b) of image `id` at (y, x). */
export function rgb(id: number, y: number, x: number): [number, number, number] {
  return [(id * 40 + x * 5) % 256, (id * 70 + y * 3) % 256, (id * 13 + 100) % 256];
}

function pixels(id: number, h: number, w: number, channels: 3 | 4): Buffer {
  const buf = Buffer.alloc(h * w * channels, 255);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) rgb(id, y, x).forEach((v, k) => (buf[(y * w + x) * channels + k] = v));
  return buf;
}

export function writePng(file: string, id: number, h: number, w: number): void {
  const png = new PNG({ width: w, height: h });
  pixels(id, h, w, 4).copy(png.data);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, PNG.sync.write(png));
}

export function writeJpeg(file: string, id: number, h: number, w: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, jpeg.encode({ data: pixels(id, h, w, 4), width: w, height: h }, 95).data);
}

/**
 * `<root>/train/{ant,bee,cat}` with `perClass` images each (PNG and JPEG alternating, sizes varying
 * from 20x30 to 40x26), `<root>/val/{ant,bee,cat}` with 2 each, plus a README.txt that is skipped.
 */
export function writeImageFolder(perClass = 4): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'icl-imagefolder-'));
  process.on('exit', () => fs.rmSync(root, { recursive: true, force: true }));
  let id = 0;
  for (const [split, n] of [['train', perClass], ['val', 2]] as const) {
    for (const cls of ['ant', 'bee', 'cat']) {
      for (let i = 0; i < n; i++) {
        const [h, w] = [20 + ((id * 7) % 21), 26 + ((id * 5) % 15)];
        const base = path.join(root, split, cls, `img${i}`);
        if (i % 2 === 0) writePng(`${base}.png`, id, h, w);
        else writeJpeg(`${base}.JPG`, id, h, w);
        id++;
      }
    }
  }
  fs.writeFileSync(path.join(root, 'train', 'ant', 'README.txt'), 'not an image');
  return root;
}
