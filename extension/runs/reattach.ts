/**
 * After a window reload: the processes a window of this workspace started are still running
 * (runs/processes.ts starts them detached). Each live one is followed again: progress notification,
 * status bar (trainings), Stop or Cancel, and its console log replayed in the output channel.
 * No vscode import at runtime (the objects it drives are passed in): unit-tested.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONSOLE_LOG_FILE } from '../../runtime/protocol';
import { launchAlive, type LaunchRecord, type LaunchRecords, type ProcessKind } from './detached';
import type { ProcessFacts } from './liveness';
import type { RunsModel } from './model';
import type { Trainings } from './training';

/**
 * Re-attaches to every run whose last run_start records a process (pid, host) that is alive on this
 * host and verified to be the run's runtime, and that a window started (its folder has the console
 * log; a run started from a terminal is left to its terminal). Returns the folders re-attached.
 */
export function reattachTrainings(model: Pick<RunsModel, 'runs' | 'processOf' | 'refresh'>, processes: { has(kind: ProcessKind, dir: string): boolean }, trainings: Pick<Trainings, 'attach'>): string[] {
  const out: string[] = [];
  for (const run of model.runs) {
    if (run.state !== 'running' || processes.has('train', run.dir) || !fs.existsSync(path.join(run.dir, CONSOLE_LOG_FILE))) continue;
    const check = model.processOf(run.dir);
    if (check?.kind !== 'running') continue;
    void trainings.attach(run.dir, run.name, check.pid).then(() => model.refresh());
    out.push(run.dir);
  }
  return out;
}

/**
 * Re-attaches to the processes recorded at their spawn (detached.ts's {@link LaunchRecords}) that are
 * still the runtime CLI the window started ({@link launchAlive}); the others' records are dropped. A
 * training is handed to `attach.train` with its spawn time, so that one reloaded before it wrote its
 * run_start is followed too; evaluations and queues to `attach.other`. Processes already followed are
 * skipped. Returns the records re-attached.
 */
export function reattachLaunches(
  records: Pick<LaunchRecords, 'all' | 'remove'>,
  probe: (pid: number) => ProcessFacts,
  processes: { has(kind: ProcessKind, dir: string): boolean },
  attach: { train(r: LaunchRecord): void; other(r: LaunchRecord): void },
): LaunchRecord[] {
  const out: LaunchRecord[] = [];
  for (const r of records.all()) {
    if (!launchAlive(r, probe)) {
      records.remove(r.pid);
      continue;
    }
    if (processes.has(r.kind, r.dir)) continue;
    if (r.kind === 'train') attach.train(r);
    else attach.other(r);
    out.push(r);
  }
  return out;
}
