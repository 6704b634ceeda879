/** Commands of the Runs feature: Run Experiment, Run on GPUs, Stop, Resume, Evaluate, Export Config Schema. */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { configJsonSchema } from '../../runtime/config/index';
import { CHECKPOINT_NAME_RE, CONFIG_FILE, parseEvaluateResult } from '../../runtime/protocol';
import { CommandId, Setting } from '../ids';
import { DisposableObject } from '../util/disposable';
import { getSetting } from '../vscode/config';
import { Toast, inputBox, quickPickValue, quickPickValues, saveDialog } from '../vscode/ui';
import type { RunSummary } from './collect';
import { cpuDataParallelPlan, gpuDataParallelPlan, parseGpuList, queueName, queuePaths, queueYaml, validateProcessCount, type TrainPlan } from './gpus';
import { checkConfig, needsStartOver, nextExpName, overridesProblem, proposeOutputDir, resumeOverridesProblem, runFolderProblem, runtimeLaunch, splitOverrides, withOutputDir, type RuntimeMode } from './launch';
import { stopExternal } from './liveness';
import type { RunsModel } from './model';
import { queueEnd, type LaunchRecord } from './detached';
import type { RuntimeProcess, RuntimeProcesses } from './processes';
import { isActiveSlurmJob, stopSlurmJob } from './slurm';
import type { Trainings } from './training';
import type { RunItem } from './tree';
import { overridesBox } from '../yaml/overrides_box';

/** What the commands need from the rest of the extension. */
export interface RunCommandsDeps {
  workspace: string;
  extensionDir: string;
  model: RunsModel;
  processes: RuntimeProcesses;
  trainings: Trainings;
  output: vscode.OutputChannel;
  openCurves(dirs: string[]): void;
  /** Shows a run's last evaluation. */
  openEvaluation(dir: string): void;
}

const START_OVER = 'Start Over in a New Folder';

const runOf = (deps: RunCommandsDeps, arg: unknown): RunSummary | undefined => {
  if (arg && typeof arg === 'object' && 'run' in arg) return (arg as RunItem).run;
  if (typeof arg === 'string') return deps.model.run(arg);
  if (arg instanceof vscode.Uri) return deps.model.run(arg.fsPath);
  return undefined;
};

export class RunCommands extends DisposableObject {
  constructor(private readonly deps: RunCommandsDeps) {
    super();
    const reg = (id: CommandId, fn: (...args: unknown[]) => unknown): void => {
      this.disposer.track(vscode.commands.registerCommand(id, fn));
    };
    reg(CommandId.RunExperiment, (uri) => this.runExperiment(uri instanceof vscode.Uri ? uri : undefined));
    reg(CommandId.RunOnGpus, (uri) => this.runOnGpus(uri instanceof vscode.Uri ? uri : undefined));
    reg(CommandId.StopRun, (item) => this.stop(item));
    reg(CommandId.ResumeRun, (item) => this.resume(item));
    reg(CommandId.EvaluateRun, (item) => this.evaluate(item));
    reg(CommandId.ExportConfigSchema, () => this.exportSchema());
    reg(CommandId.RefreshRuns, () => deps.model.refresh());
    reg(CommandId.ShowOutput, () => deps.output.show(true));
    reg(CommandId.RevealRunFolder, (item) => {
      const run = runOf(deps, item);
      if (run) void vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(run.dir));
    });
  }

  private launch(cli: 'train' | 'evaluate' | 'queue', args: string[]) {
    return runtimeLaunch({
      mode: getSetting<RuntimeMode>(Setting.Runtime, 'auto'),
      node: getSetting(Setting.NodePath, '') || 'node',
      workspace: this.deps.workspace,
      extensionDir: this.deps.extensionDir,
      cli,
      args,
    });
  }

  /** The config to run: the given file, the active YAML editor, or one picked from configs/. */
  private async pickConfig(uri: vscode.Uri | undefined): Promise<vscode.Uri | undefined> {
    if (uri) return uri;
    const active = vscode.window.activeTextEditor?.document;
    if (active && /\.ya?ml$/.test(active.fileName) && active.uri.scheme === 'file') return active.uri;
    const files = await vscode.workspace.findFiles('**/configs/**/*.{yaml,yml}', '**/node_modules/**');
    files.sort((a, b) => a.fsPath.localeCompare(b.fsPath));
    return quickPickValue(files.map((f) => ({ label: vscode.workspace.asRelativePath(f), value: f })), 'Config to run');
  }

  /** Runs a config; `plan` adds flags (e.g. `--nproc_per_node N`), overrides before the typed ones, and environment. */
  private async runExperiment(uri: vscode.Uri | undefined, plan: TrainPlan = { flags: [], overrides: [], env: {} }): Promise<void> {
    const { env, overrides: extra } = plan;
    const config = await this.pickConfig(uri);
    if (!config) return;
    const doc = await vscode.workspace.openTextDocument(config);
    if (doc.isDirty) await doc.save();
    const text = doc.getText();
    const rel = vscode.workspace.asRelativePath(config);
    const base = checkConfig(text, rel, extra);
    if (!base.ok) {
      void Toast.error(`Cannot run ${rel}: ${base.message}`);
      return;
    }
    const typed = await overridesBox({
      title: `Overrides for ${rel} as key value pairs (optional)`,
      placeholder: 'e.g. scheduler.epochs 2 dataset.max_train_samples 2000',
      configText: text,
      validate: (v) => overridesProblem(text, rel, extra, v),
    });
    if (typed === undefined) return;
    const overrides = [...extra, ...splitOverrides(typed)];
    const checked = checkConfig(text, rel, overrides);
    if (!checked.ok) return;
    const proposed = overrides.includes('train.output_dir') ? checked.config.train.output_dir : proposeOutputDir(this.deps.workspace, checked.config);
    const outRel = await inputBox({
      prompt: 'Run folder',
      value: proposed,
      validate: (v) => runFolderProblem(this.deps.workspace, v),
    });
    if (!outRel) return;
    const dir = path.resolve(this.deps.workspace, outRel);
    const args = [...plan.flags, '--config', config.fsPath, ...withOutputDir(overrides, outRel)];
    this.deps.output.show(true);
    const started = this.deps.trainings.start(dir, outRel, this.launch('train', args), env);
    setTimeout(() => this.deps.openCurves([dir]), 1500);
    await started;
  }

  private async runOnGpus(uri: vscode.Uri | undefined): Promise<void> {
    const gpus = await new Promise<ReturnType<typeof parseGpuList>>((resolve) => {
      execFile('nvidia-smi', ['-L'], { timeout: 5000 }, (err, stdout) => resolve(err ? [] : parseGpuList(stdout)));
    });
    if (!gpus.length) {
      const cpu = 'Run on CPU';
      const dp = 'Data-parallel on the CPU…';
      const choice = await Toast.warn('No NVIDIA GPU was found (nvidia-smi is not available or lists none). Run on the CPU instead?', cpu, dp);
      if (choice === cpu) await this.runExperiment(uri);
      else if (choice === dp) {
        const n = await inputBox({ prompt: 'Data-parallel worker processes on the CPU (they share the cores)', value: '2', validate: validateProcessCount });
        if (n === undefined) return;
        await this.runExperiment(uri, cpuDataParallelPlan(Number(n)));
      }
      return;
    }
    const mode = await quickPickValue(
      [
        { label: 'One data-parallel run over the chosen GPUs', detail: 'npm run train -- --nproc_per_node N: one worker per GPU, gradients averaged every step', value: 'ddp' as const },
        { label: 'A queue, one experiment per GPU', detail: 'npm run queue: the chosen configs run one per GPU at a time', value: 'queue' as const },
      ],
      'Run on GPUs',
    );
    if (!mode) return;
    const picked = await quickPickValues(gpus.map((g) => ({ label: g.label, picked: true, value: g.index })), mode === 'ddp' ? 'GPUs of the data-parallel run' : 'GPUs the queue may use');
    if (!picked?.length) return;
    if (mode === 'ddp') await this.runExperiment(uri, gpuDataParallelPlan(picked));
    else await this.runQueue(uri, { CUDA_VISIBLE_DEVICES: picked.join(',') }, 'cuda');
  }

  /** Writes a queue file of the chosen configs (one run each, the same overrides) and runs `queue` on it. */
  private async runQueue(uri: vscode.Uri | undefined, env: Record<string, string>, device: string | undefined): Promise<void> {
    const files = await vscode.workspace.findFiles('**/configs/**/*.{yaml,yml}', '**/node_modules/**');
    files.sort((a, b) => a.fsPath.localeCompare(b.fsPath));
    const configs = await quickPickValues(
      files.map((f) => ({ label: vscode.workspace.asRelativePath(f), picked: uri?.fsPath === f.fsPath, value: f.fsPath })),
      'Configs of the queue (one experiment each)',
    );
    if (!configs?.length) return;
    const typed = await overridesBox({
      title: 'Overrides for every run of the queue as key value pairs (optional)',
      placeholder: 'e.g. scheduler.epochs 2',
      validate: (v) => {
        if (splitOverrides(v).length % 2) return 'overrides come in key value pairs';
        for (const c of configs) {
          const problem = overridesProblem(fs.readFileSync(c, 'utf8'), vscode.workspace.asRelativePath(c), device ? ['device', device] : [], v);
          if (problem) return problem;
        }
        return undefined;
      },
    });
    if (typed === undefined) return;
    const name = queueName(new Date());
    const { file, outputDir } = queuePaths(path.relative(this.deps.workspace, this.deps.model.root) || 'experiments', name);
    const abs = path.join(this.deps.workspace, file);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    // The file's output_dir is read relative to the file's folder.
    fs.writeFileSync(abs, queueYaml({ configs, overrides: splitOverrides(typed), outputDir: name, device }));
    this.deps.output.show(true);
    const proc = this.deps.processes.start('queue', path.join(this.deps.workspace, outputDir), this.launch('queue', [abs]), env, name, file);
    await this.followQueue(proc, name, file, `${configs.length} run(s), one per GPU`);
  }

  /** Follows a queue to its end (progress notification; Cancel stops it with SIGINT), then says how it ended. */
  private async followQueue(proc: RuntimeProcess, name: string, file: string, what: string): Promise<void> {
    const outputDir = path.relative(this.deps.workspace, proc.dir);
    const { code, stdout } = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Queue ${name}: ${what} (${file})`, cancellable: true },
      (_report, token) => {
        token.onCancellationRequested(() => proc.signal('SIGINT'));
        return proc.exited;
      },
    );
    this.deps.model.refresh();
    const end = queueEnd(code, stdout);
    if (end === 'completed') void Toast.info(`Queue ${name} completed.`);
    else if (end === 'stopped') void Toast.info(`Queue ${name} stopped; run npm run queue -- ${file} to continue it.`);
    else void Toast.error(`Queue ${name} ended with ${code === null ? 'no result line' : `exit code ${code}`}; see the output and ${outputDir}/queue.json.`);
  }

  /**
   * Follows again an evaluation or a queue started before the window reloaded (a detached process,
   * still running: reattach.ts checked its record): progress, Cancel (queues) and the message at its end.
   */
  reattach(r: LaunchRecord): void {
    if (r.kind === 'train') return;
    const proc = this.deps.processes.attach(r.kind, r.dir, r.pid);
    if (r.kind === 'queue') void this.followQueue(proc, r.label, r.file ?? r.label, 'still running after the window reloaded');
    else void this.followEvaluation(proc, r.label, r.file ?? 'checkpoint');
  }

  private async pickRun(arg: unknown, filter: (r: RunSummary) => boolean, placeHolder: string): Promise<RunSummary | undefined> {
    const given = runOf(this.deps, arg);
    if (given) return given;
    const runs = this.deps.model.runs.filter(filter);
    if (!runs.length) {
      void Toast.info('There is no run for this here.');
      return undefined;
    }
    return quickPickValue(runs.map((r) => ({ label: r.name, description: r.state, value: r })), placeHolder);
  }

  private async stop(arg: unknown): Promise<void> {
    const run = await this.pickRun(arg, (r) => r.state === 'running' || isActiveSlurmJob(r.slurm), 'Run to stop');
    if (!run) return;
    if (this.deps.processes.stop(run.dir)) {
      void Toast.info(`Stopping ${run.name}: it finishes the current step and writes a checkpoint.`);
      return;
    }
    // A Slurm job: scancel a pending one, SIGTERM a running one (it checkpoints); its state is asked anew.
    const slurm = await stopSlurmJob(run);
    if (slurm) {
      void (slurm.level === 'info' ? Toast.info(slurm.message) : slurm.level === 'warn' ? Toast.warn(slurm.message) : Toast.error(slurm.message));
      this.deps.model.refresh();
      return;
    }
    // Started elsewhere (a terminal): stop the recorded process, once it is verified to be this run's runtime.
    const check = this.deps.model.processOf(run.dir);
    const message = stopExternal(run.name, check, (pid) => process.kill(pid, 'SIGINT'));
    if (check?.kind === 'running') void Toast.info(message);
    else void Toast.warn(message);
    this.deps.model.refresh();
  }

  private async resume(arg: unknown): Promise<void> {
    const run = await this.pickRun(arg, (r) => r.state !== 'running', 'Run to resume');
    if (!run) return;
    if (this.deps.processes.training(run.dir)) {
      void Toast.warn(`${run.name} is running.`);
      return;
    }
    if (needsStartOver(fs.readdirSync(run.dir), this.deps.model.events(run.dir))) {
      await this.startOver(run);
      return;
    }
    const typed = await inputBox({ prompt: `Overrides when resuming ${run.name} (optional, e.g. scheduler.epochs 20)`, value: '', validate: (v) => resumeOverridesProblem(run.dir, v) });
    if (typed === undefined) return;
    this.deps.output.show(true);
    const started = this.deps.trainings.start(run.dir, run.name, this.launch('train', ['--resume', run.dir, ...splitOverrides(typed)]));
    this.deps.openCurves([run.dir]);
    await started;
  }

  /**
   * A run that trained but has no checkpoint cannot be resumed, only trained again from epoch 0: asked
   * first (modal), then started over in a new folder with the run's config; the run stays as it is.
   */
  private async startOver(run: RunSummary): Promise<void> {
    const choice = await vscode.window.showWarningMessage(
      `${run.name} has no checkpoint, so it cannot be resumed: it can only be trained again from epoch 0. Start it over in a new folder? (${run.name} stays as it is.)`,
      { modal: true },
      START_OVER,
    );
    if (choice !== START_OVER) return;
    const parent = path.dirname(run.dir);
    const outRel = await inputBox({
      prompt: `Run folder of the new start of ${run.name}`,
      value: path.relative(this.deps.workspace, path.join(parent, nextExpName(fs.readdirSync(parent)))).split(path.sep).join('/'),
      validate: (v) => runFolderProblem(this.deps.workspace, v),
    });
    if (!outRel) return;
    const dir = path.resolve(this.deps.workspace, outRel);
    this.deps.output.show(true);
    const started = this.deps.trainings.start(dir, outRel, this.launch('train', ['--config', path.join(run.dir, CONFIG_FILE), 'train.output_dir', outRel]));
    this.deps.openCurves([dir]);
    await started;
  }

  private async evaluate(arg: unknown): Promise<void> {
    const run = await this.pickRun(arg, (r) => r.state !== 'empty', 'Run to evaluate');
    if (!run) return;
    const ckpts = fs.readdirSync(run.dir).filter((f) => CHECKPOINT_NAME_RE.test(f)).sort().reverse();
    if (!ckpts.length) {
      void Toast.warn(`${run.name} has no checkpoint yet.`);
      return;
    }
    const ckpt = ckpts.length === 1 ? ckpts[0] : await quickPickValue(ckpts.map((c) => ({ label: c, value: c })), 'Checkpoint to evaluate');
    if (!ckpt) return;
    this.deps.output.show(true);
    const proc = this.deps.processes.start('evaluate', run.dir, this.launch('evaluate', ['--config', path.join(run.dir, CONFIG_FILE), 'test.checkpoint', path.join(run.dir, ckpt)]), {}, run.name, ckpt);
    await this.followEvaluation(proc, run.name, ckpt);
  }

  /** Follows an evaluation to its end (progress notification), then shows its result and the Evaluation view. */
  private async followEvaluation(proc: RuntimeProcess, name: string, ckpt: string): Promise<void> {
    const { code, stdout } = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Evaluating ${name}/${ckpt}` }, () => proc.exited);
    const m = parseEvaluateResult(stdout);
    if (!m) {
      void Toast.error(`Evaluation of ${name} failed (${code === null ? 'no result line' : `exit code ${code}`}); see the output.`);
      return;
    }
    void Toast.info(`${name}/${ckpt}: top-1 error ${((1 - m.accuracy) * 100).toFixed(2)}%, loss ${m.loss.toFixed(4)} on ${m.n} test images.`);
    this.deps.model.refresh();
    this.deps.openEvaluation(proc.dir);
  }

  private async exportSchema(): Promise<void> {
    const target = await saveDialog(path.join(this.deps.workspace, 'schemas', 'config.schema.json'), { 'JSON Schema': ['json'] });
    if (!target) return;
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    void Toast.info(`Config schema written to ${vscode.workspace.asRelativePath(target)}.`);
  }
}
