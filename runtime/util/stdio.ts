/**
 * A runtime process keeps running when its console goes away: when stdout or stderr is a pipe whose
 * reader has closed (a terminal's `| head`, a parent that died), a write fails with EPIPE, which Node
 * reports as an 'error' event that would end the process. The run's own records (events.jsonl,
 * log.txt, checkpoints) are files, so the console lines are the only thing lost.
 */

/** Ignores write errors (EPIPE, a destroyed stream) of `streams`, by default stdout and stderr. */
export function survivePipeErrors(streams: NodeJS.WritableStream[] = [process.stdout, process.stderr]): void {
  for (const s of streams) {
    s.on('error', () => {
      // The reader is gone: nothing to tell it. Later writes to the destroyed stream are dropped here too.
    });
  }
}
