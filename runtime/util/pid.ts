/**
 * Whether a process of this machine exists: `kill(pid, 0)`, true also when it belongs to another user (EPERM).
 * Used for stale-lock detection (run folders, downloads) and the extension's liveness of runs.
 */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
