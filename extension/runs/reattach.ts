/**
 * After a window reload: the trainings a window of this workspace started are still running
 * (runs/processes.ts starts them detached). Each live one is followed again: progress notification,
 * status bar, Stop, and its console log replayed in the output channel.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONSOLE_LOG_FILE } from '../../runtime/protocol';
import type { RunsModel } from './model';
import type { RuntimeProcesses } from './processes';
import type { Trainings } from './training';

/**
 * Re-attaches to every run whose last run_start records a process (pid, host) that is alive on this
 * host and verified to be the run's runtime, and that a window started (its folder has the console
 * log; a run started from a terminal is left to its terminal). Returns the folders re-attached.
 */
export function reattachTrainings(model: RunsModel, processes: RuntimeProcesses, trainings: Trainings): string[] {
  const out: string[] = [];
  for (const run of model.runs) {
    if (run.state !== 'running' || processes.training(run.dir) || !fs.existsSync(path.join(run.dir, CONSOLE_LOG_FILE))) continue;
    const check = model.processOf(run.dir);
    if (check?.kind !== 'running') continue;
    void trainings.attach(run.dir, run.name, check.pid).then(() => model.refresh());
    out.push(run.dir);
  }
  return out;
}
