/**
 * Whether other processes keep the cores busy when a multi-threaded engine starts. OpenMP (libtorch) and wasm worker
 * threads wait for each other at every operator, so one descheduled thread stalls the rest: measured here with one of
 * the 2 cores busy, libtorch with 2 threads trained ResNet-preact-20 at 180 images/s and with 1 thread at 400 (idle:
 * 700 and 400).
 */
import * as os from 'node:os';

/** Busy and total CPU time of all cores, ms. */
function cpuTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const c of os.cpus()) {
    const t = c.times;
    const all = t.user + t.nice + t.sys + t.idle + t.irq;
    total += all;
    busy += all - t.idle;
  }
  return { busy, total };
}

/**
 * Cores kept busy by other processes, measured over `ms` while this process waits (so its own threads are idle).
 * @param ms sampling window, milliseconds
 * @returns busy cores, 0..os.cpus().length (fractional)
 */
export async function busyCores(ms = 250): Promise<number> {
  const a = cpuTimes();
  await new Promise((r) => setTimeout(r, ms));
  const b = cpuTimes();
  const total = b.total - a.total;
  return total > 0 ? ((b.busy - a.busy) / total) * os.cpus().length : 0;
}

/**
 * One warning line when busy cores leave the engine's threads fewer cores than they need.
 * @param threads compute threads of the chosen engine
 * @param busy cores busy with other processes ({@link busyCores})
 * @param cores logical cores
 * @returns the line, or undefined when the threads have their cores
 */
export function contentionWarning(threads: number, busy: number, cores: number): string | undefined {
  if (threads <= 1 || busy + threads <= cores + 0.5) return undefined;
  return `${busy.toFixed(1)} of ${cores} cores are busy with other processes: with ${threads} compute threads an engine slows ` +
    `down several-fold when its cores are shared; num_threads ${Math.max(1, Math.floor(cores - busy))} may be faster`;
}
