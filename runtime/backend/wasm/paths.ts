import * as fs from 'node:fs';
import * as path from 'node:path';

/** The binaries tfjs-backend-wasm 4.22 may load (plain, SIMD, threaded SIMD); all three must sit in one folder. */
export const WASM_BINARY_NAMES = [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
] as const;

/** Environment variable that, when set, names the folder holding the `.wasm` files (overrides the search). */
export const WASM_DIR_ENV = 'ICL_WASM_DIR';

function hasBinaries(dir: string): boolean {
  return WASM_BINARY_NAMES.every((name) => fs.existsSync(path.join(dir, name)));
}

/**
 * The folder of the installed package's `.wasm` files (`node_modules/@tensorflow/tfjs-backend-wasm/dist`), for the
 * build script to copy next to the bundle; undefined if the package cannot be resolved.
 */
export function packageWasmDir(): string | undefined {
  try {
    return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
  } catch {
    return undefined;
  }
}

/**
 * The folder holding the wasm binaries, searched in this order: `$ICL_WASM_DIR`; this module's own folder and its
 * parent (an esbuild bundle in `dist/` or `dist/cli/` with the files copied next to it by the build script); the
 * installed package (running from source with tsx). Throws with the places tried if none has all three files.
 */
export function wasmBinaryDir(): string {
  const candidates = [process.env[WASM_DIR_ENV], __dirname, path.dirname(__dirname), packageWasmDir()].filter(
    (d): d is string => d != null && d !== '',
  );
  for (const dir of candidates) if (hasBinaries(dir)) return dir;
  throw new Error(`the tfjs-backend-wasm .wasm files were not found in: ${candidates.join(', ')}`);
}
