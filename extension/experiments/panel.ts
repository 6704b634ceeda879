/**
 * The Experiments panel (host side): every run of experiments/ (terminal and Slurm runs included) as
 * a table, updated live from the Runs model; the user's columns, order, sort, filter, axes, brushes
 * and stars kept per workspace (workspaceState).
 */
import * as vscode from 'vscode';
import {
  DEFAULT_TABLE_STATE, FromExperiments, ToExperiments, type ExperimentsHostMessage, type ExperimentsWebviewMessage, type TableState,
} from '../../webviews/experiments/contract';
import { PanelId, StateKey } from '../ids';
import type { RunsModel } from '../runs/model';
import { quickPickValues } from '../vscode/ui';
import { TypedPanel } from '../webview/panel';
import { configDiff, experimentTable } from './rows';

/** What is stored under {@link StateKey.Experiments}. */
interface Stored {
  table: TableState;
  starred: string[];
}

/** What the panel asks of the rest of the extension. */
export interface ExperimentsActions {
  openCurves(dirs: string[]): void;
  openResults(dirs: string[]): void;
  openEvaluation(dir: string): void;
}

export class ExperimentsPanel extends TypedPanel<ExperimentsHostMessage, ExperimentsWebviewMessage> {
  private stored: Stored;

  constructor(extensionUri: vscode.Uri, private readonly model: RunsModel, private readonly memento: vscode.Memento, private readonly actions: ExperimentsActions) {
    super(extensionUri, PanelId.Experiments, 'Experiments', 'experiments');
    const s = memento.get<Partial<Stored>>(StateKey.Experiments);
    this.stored = { table: { ...DEFAULT_TABLE_STATE, ...(s?.table ?? {}) }, starred: Array.isArray(s?.starred) ? s.starred : [] };
    this.disposer.track(model.onDidChangeRuns(() => this.sendSnapshot()));
  }

  private save(): void {
    void this.memento.update(StateKey.Experiments, this.stored);
  }

  private table() {
    const runs = this.model.runs.filter((r) => r.state !== 'empty' || r.slurm).map((summary) => ({ summary, events: this.model.events(summary.dir) }));
    return experimentTable(runs, new Set(this.stored.starred));
  }

  protected sendSnapshot(): void {
    this.post({ type: ToExperiments.Snapshot, ...this.table(), state: this.stored.table });
  }

  protected onMessage(m: ExperimentsWebviewMessage): void {
    switch (m.type) {
      case FromExperiments.SetState:
        this.stored.table = m.state;
        this.save();
        break;
      case FromExperiments.Star:
        this.stored.starred = this.stored.starred.filter((d) => d !== m.id).concat(m.starred ? [m.id] : []);
        this.save();
        this.sendSnapshot();
        break;
      case FromExperiments.OpenCurves:
        this.actions.openCurves(m.ids);
        break;
      case FromExperiments.OpenResults:
        this.actions.openResults(m.ids);
        break;
      case FromExperiments.OpenEvaluation:
        this.actions.openEvaluation(m.id);
        break;
      case FromExperiments.ConfigDiff: {
        const [a, b] = m.ids.map((d) => this.model.run(d));
        if (a && b) this.post({ type: ToExperiments.ConfigDiff, a: a.name, b: b.name, lines: configDiff(a.config, b.config) });
        break;
      }
      case FromExperiments.ChooseColumns:
        void this.chooseColumns();
        break;
      case FromExperiments.ChooseAxes:
        void this.chooseAxes();
        break;
    }
  }

  /** A multi-pick of the columns (grouped by section); the unpicked ones are hidden. */
  private async chooseColumns(): Promise<void> {
    const { columns } = this.table();
    const hidden = new Set(this.stored.table.hidden);
    const picked = await quickPickValues(
      columns.map((c) => ({ label: c.label, description: c.group === 'run' ? '' : c.group, picked: !hidden.has(c.id), value: c.id })),
      'Columns of the Experiments table (drag a header to move a column)',
    );
    if (!picked) return;
    this.stored.table = { ...this.stored.table, hidden: columns.map((c) => c.id).filter((id) => !picked.includes(id)) };
    this.save();
    this.sendSnapshot();
  }

  /** A multi-pick of the parallel-coordinates axes (none picked: the default axes). */
  private async chooseAxes(): Promise<void> {
    const { columns } = this.table();
    const current = new Set(this.stored.table.axes);
    const picked = await quickPickValues(
      columns.filter((c) => c.id !== 'name' && c.id !== 'status').map((c) => ({ label: c.label, description: c.group === 'run' ? '' : c.group, picked: current.has(c.id), value: c.id })),
      'Axes of the parallel coordinates (none: the differing config keys and the errors)',
    );
    if (!picked) return;
    const brushes = Object.fromEntries(Object.entries(this.stored.table.brushes).filter(([k]) => picked.length === 0 || picked.includes(k)));
    this.stored.table = { ...this.stored.table, axes: picked, brushes };
    this.save();
    this.sendSnapshot();
  }
}
