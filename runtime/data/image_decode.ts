/**
 * PNG and JPEG decoding to 8-bit RGB with pure-JS libraries (pngjs, jpeg-js): what the original's
 * PIL `Image.open(f).convert('RGB')` gives, alpha dropped (not composited), grey and palette
 * images expanded to RGB, 16-bit PNGs scaled to 8 bits.
 */
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

/** A decoded image: uint8 RGB [height, width, 3]. */
export interface DecodedImage {
  data: Uint8Array;
  height: number;
  width: number;
}

/** The image format from the first bytes, or null. */
export function sniffImageFormat(buf: Uint8Array): 'png' | 'jpeg' | null {
  if (buf.length >= 8 && buf[0] === 0x89 && buf[1] === 0x50 && buf[2] === 0x4e && buf[3] === 0x47) return 'png';
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return 'jpeg';
  return null;
}

function rgbaToRgb(rgba: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    out[i * 3] = rgba[i * 4];
    out[i * 3 + 1] = rgba[i * 4 + 1];
    out[i * 3 + 2] = rgba[i * 4 + 2];
  }
  return out;
}

/**
 * Decodes a PNG or JPEG file's bytes (format from the content, not the extension).
 * @param what file name for messages
 * @throws naming the file for an unknown format or a decoding error
 */
export function decodeImage(buf: Buffer, what: string): DecodedImage {
  const format = sniffImageFormat(buf);
  try {
    if (format === 'png') {
      const png = PNG.sync.read(buf);
      return { data: rgbaToRgb(png.data, png.width * png.height), height: png.height, width: png.width };
    }
    if (format === 'jpeg') {
      const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 1024 });
      const n = img.width * img.height;
      if (img.data.length === n * 3) return { data: img.data, height: img.height, width: img.width };
      if (img.data.length === n * 4) return { data: rgbaToRgb(img.data, n), height: img.height, width: img.width };
      throw new Error(`unexpected decoded size ${img.data.length} for ${img.width}x${img.height}`);
    }
  } catch (err) {
    throw new Error(`${what}: cannot decode ${format?.toUpperCase()} image: ${(err as Error).message}`);
  }
  throw new Error(`${what}: not a PNG or JPEG file (ImageFolder datasets support PNG and JPEG)`);
}
