/**
 * Starting and following a training: the spawned runtime, a cancellable progress notification
 * (epoch, loss, ETA; cancel = SIGINT) and a status-bar item, both fed from events.jsonl (before the
 * first event, from the runtime's dataset download progress lines).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EVENTS_FILE } from '../../runtime/protocol/events';
import { readEvents } from '../../runtime/protocol/reader';
import { CommandId } from '../ids';
import { DisposableObject } from '../util/disposable';
import { Toast } from '../vscode/ui';
import { formatDuration } from './collect';
import { downloadMessage, foldProgress, progressMessage, type Launch, type RunProgress } from './launch';
import type { RuntimeProcesses } from './processes';

export class Trainings extends DisposableObject {
  private readonly status = this.disposer.track(vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 50));
  private readonly progress = new Map<string, { label: string; text: string }>();

  constructor(private readonly processes: RuntimeProcesses) {
    super();
    this.status.command = CommandId.OpenCurves;
  }

  /** Spawns a training that writes `dir` and follows it until it exits; resolves with its final state. */
  async start(dir: string, label: string, launch: Launch, env: Record<string, string> = {}): Promise<'completed' | 'stopped' | 'failed'> {
    const file = path.join(dir, EVENTS_FILE);
    let offset = fs.existsSync(file) ? fs.statSync(file).size : 0;
    const proc = this.processes.start('train', dir, launch, env);
    const startMs = Date.now();
    let p: RunProgress | undefined;
    let reported = 0;
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Training ${label}`, cancellable: true },
      async (report, token) => {
        token.onCancellationRequested(() => this.processes.stop(dir));
        const tick = (): void => {
          const r = readEvents(file, offset);
          offset = r.consumed;
          // Before the first event a missing dataset may be downloading: show its progress.
          const download = p?.epochs ? undefined : proc.download;
          if (!r.events.length && p && !download) return;
          p = foldProgress(p, r.events, Date.now(), startMs);
          const message = p.epochs ? progressMessage(p, formatDuration) : download ? downloadMessage(download) : 'starting…';
          const pct = Math.round(p.fraction * 100);
          report.report({ message, increment: pct - reported });
          reported = pct;
          this.progress.set(dir, { label, text: message });
          this.updateStatus();
        };
        const timer = setInterval(tick, 1000);
        tick();
        const { code } = await proc.exited;
        clearInterval(timer);
        tick();
        return code;
      },
    );
    this.progress.delete(dir);
    this.updateStatus();
    const state = result === 0 ? 'completed' : result === 130 ? 'stopped' : 'failed';
    if (state === 'failed') void Toast.error(`Training ${label} failed (exit code ${result ?? 'signal'}); see the output.`, 'Show Output').then((a) => a && vscode.commands.executeCommand(CommandId.ShowOutput));
    else void Toast.info(`Training ${label} ${state}.`);
    return state;
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
