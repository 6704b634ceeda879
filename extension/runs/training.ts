/**
 * Following a training: a cancellable progress notification (epoch, loss, ETA; cancel = SIGINT) and
 * a status-bar item, both fed by the run folder's follower (before the first event, by the runtime's
 * dataset download progress lines). A training started here, or one re-attached after a window
 * reload (it outlives the window: runs/processes.ts).
 */
import * as vscode from 'vscode';
import type { RunEvent } from '../../runtime/protocol/events';
import { CommandId } from '../ids';
import { DisposableObject } from '../util/disposable';
import { Toast } from '../vscode/ui';
import { formatDuration } from './collect';
import { attachFrom } from './detached';
import type { RunFollowers } from './follower';
import { downloadMessage, foldProgress, progressMessage, type Launch, type RunProgress } from './launch';
import type { RuntimeProcess, RuntimeProcesses } from './processes';

/** How a followed training ended. `interrupted`: its process is gone without a run_end (killed). */
export type TrainingEnd = 'completed' | 'stopped' | 'failed' | 'interrupted';

/** Progress refresh before the first event (a dataset download shows its own progress lines), ms. */
const STARTING_TICK_MS = 1000;

/** How a process that ended left its run: from its exit code, else (re-attached) from its last run_end. */
function endOf(code: number | null, events: readonly RunEvent[]): TrainingEnd {
  if (code === 0) return 'completed';
  if (code === 130) return 'stopped';
  if (code !== null) return 'failed';
  const last = events.filter((e) => e.type === 'run_start' || e.type === 'run_end').pop();
  return last?.type === 'run_end' ? last.status : 'interrupted';
}

export class Trainings extends DisposableObject {
  private readonly status = this.disposer.track(vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 50));
  private readonly progress = new Map<string, { label: string; text: string }>();

  constructor(private readonly processes: RuntimeProcesses, private readonly followers: RunFollowers) {
    super();
    this.status.command = CommandId.OpenCurves;
  }

  /** Spawns a training that writes `dir` and follows it until it exits; resolves with its final state. */
  start(dir: string, label: string, launch: Launch, env: Record<string, string> = {}): Promise<TrainingEnd> {
    const held = this.followers.acquire(dir);
    held.follower.poll();
    // Only the events of this session count (a resumed run's folder holds earlier ones).
    const from = held.follower.events.length;
    const proc = this.processes.start('train', dir, launch, env, label);
    return this.follow(proc, label, held, from, Date.now());
  }

  /**
   * Follows a training this window did not start: process `pid` (checked to be the run's runtime),
   * writing `dir`, started before the window reloaded. Progress counts from its run_start: the last one
   * written at or after `sinceMs` (its spawn time, when known), else the ones it writes from now on
   * (a reload in the seconds before its run_start).
   */
  attach(dir: string, label: string, pid: number, sinceMs = -Infinity): Promise<TrainingEnd> {
    const held = this.followers.acquire(dir);
    held.follower.poll();
    const from = attachFrom(held.follower.events, sinceMs);
    const start = from < held.follower.events.length ? Date.parse(held.follower.events[from].time) : NaN;
    const proc = this.processes.attach('train', dir, pid);
    return this.follow(proc, label, held, from, Number.isFinite(start) ? start : Date.now());
  }

  private async follow(proc: RuntimeProcess, label: string, held: ReturnType<RunFollowers['acquire']>, from: number, startMs: number): Promise<TrainingEnd> {
    const { dir } = proc;
    const f = held.follower;
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Training ${label}`, cancellable: true },
      async (report, token) => {
        token.onCancellationRequested(() => this.processes.stop(dir));
        let p: RunProgress | undefined;
        let reported = 0;
        const show = (events: readonly RunEvent[]): void => {
          // Before the first event a missing dataset may be downloading: show its progress.
          const download = p?.epochs ? undefined : proc.download;
          if (!events.length && p && !download) return;
          p = foldProgress(p, events, Date.now(), startMs);
          const message = p.epochs ? progressMessage(p, formatDuration) : download ? downloadMessage(download) : 'starting…';
          const pct = Math.round(p.fraction * 100);
          report.report({ message, increment: pct - reported });
          reported = pct;
          this.progress.set(dir, { label, text: message });
          this.updateStatus();
        };
        const sub = f.onDidChange((c) => {
          if (c.reset) p = undefined;
          show(c.appended);
        });
        const starting = setInterval(() => (p?.epochs ? clearInterval(starting) : show([])), STARTING_TICK_MS);
        show(f.events.slice(from));
        try {
          const { code } = await proc.exited;
          f.poll();
          return endOf(code, f.events.slice(from));
        } finally {
          clearInterval(starting);
          sub.dispose();
          held.dispose();
        }
      },
    );
    this.progress.delete(dir);
    this.updateStatus();
    if (result === 'failed' || result === 'interrupted') {
      const why = result === 'failed' ? 'failed' : 'ended without a run_end (its process was killed)';
      void Toast.error(`Training ${label} ${why}; see the output.`, 'Show Output').then((a) => a && vscode.commands.executeCommand(CommandId.ShowOutput));
    } else void Toast.info(`Training ${label} ${result}.`);
    return result;
  }

  private updateStatus(): void {
    const items = [...this.progress.values()];
    if (!items.length) {
      this.status.hide();
      return;
    }
    this.status.text = `$(sync~spin) ${items[0].label}: ${items[0].text}${items.length > 1 ? ` (+${items.length - 1})` : ''}`;
    this.status.tooltip = items.map((i) => `${i.label}: ${i.text}`).join('\n');
    this.status.show();
  }
}
