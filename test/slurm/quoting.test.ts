/**
 * A config value never becomes shell code (issue 18): paths, names and Slurm options with a control
 * character are refused with exit 2 naming the key or flag; the batch script rendered from hostile
 * values parses (`bash -n`), holds them only as quoted words on command lines (never in comments or
 * `#SBATCH` lines), and, executed with fake `srun` and `scontrol` on PATH, passes every one of them
 * to the training command unchanged; a run folder with spaces, quotes, `$(…)` and backticks submits
 * (a fake sbatch) and nothing in its name runs.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import * as YAML from 'yaml';
import { ConfigError, loadConfig } from '../../runtime/config';
import { formatString } from '../../runtime/config/dump';
import { readQueueFile } from '../../runtime/queue/file';
import { checkSlurmResources } from '../../runtime/slurm/options';
import { batchScript, shellQuote, type SlurmResources, type SlurmRun } from '../../runtime/slurm/script';
import { submitToSlurm } from '../../runtime/slurm/submit';
import { runCli, tempDir } from '../cli/fixtures';

const work = tempDir('icl-quoting-');

/** A folder name with everything bash would interpret outside single quotes (no newline: a folder can hold one, but the config refuses it). */
const HOSTILE_NAME = `run 'sq' "dq" $(touch PWNED_subst) \`touch PWNED_tick\` ;touch PWNED_semi & | * ? ~ \\ % #hash \${HOME} é`;

function hostileRun(dir: string): SlurmRun {
  return {
    outputDir: dir,
    configFile: path.join(work, `cfg $(touch PWNED_cfg).yaml`),
    // The renderer quotes whatever it is given, a newline too (the config refuses one before).
    overrides: ['train.checkpoint', `a'b\nc$(touch PWNED_nl)\r\x1b\u0085d`, 'scheduler.epochs', '2'],
    cwd: work,
    node: process.execPath,
    execArgv: ['--import', 'tsx'],
    trainScript: path.join(work, 'train `touch PWNED_script`.ts'),
    command: ['npm', 'run', 'submit', '--', '--config', `x'y $(touch PWNED_cmd)\nz`, '--job-name', 'j'],
  };
}

/** Words of the run that must reach the training command unchanged. */
const userStrings = (r: SlurmRun): string[] => [r.outputDir, r.configFile!, ...r.overrides, r.cwd, r.node, r.trainScript, ...r.command!];

/**
 * Checks the structure of a batch script: it parses; every line is the shebang, a directive whose
 * value sbatch reads as written, a comment that holds no user text (the `Submitted with` comment
 * only the user's words quoted), or a command line where each user string is one quoted word.
 */
function assertSafeScript(script: string, run: SlurmRun): void {
  const syntax = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
  assert.equal(syntax.status, 0, syntax.stderr);
  const hostile = userStrings(run).filter((s) => shellQuote(s) !== s).sort((a, b) => b.length - a.length);
  // The default job name is the run folder's name with anything but [\w.+-] made _.
  let stripped = script.replace(/^#SBATCH --job-name=icl-[\w.+-]+$/mu, '#SBATCH --job-name=<sanitised>');
  for (const s of hostile) stripped = stripped.split(shellQuote(s)).join('<quoted>');
  // What is left outside the quoted words is the script's own text.
  assert.doesNotMatch(stripped, /PWNED|sq|dq|hash|é|\r|\x1b|\u0085/u, stripped);
  const lines = script.split('\n');
  assert.equal(lines[0], '#!/bin/bash');
  assert.equal(lines[lines.length - 1], '');
  for (const line of lines.slice(1, -1)) {
    if (line.startsWith('#SBATCH ')) assert.match(line, /^#SBATCH --[a-z-]+(?:=[\w:%.,+-]+)?$/u, line);
    else if (line.startsWith('# Submitted with: ')) assert.equal(line, `# Submitted with: ${run.command!.map(shellQuote).join(' ')}`);
    else if (line.startsWith('#')) assert.ok(!hostile.some((s) => line.includes(shellQuote(s))), line);
  }
  // Each quoted word is a single-quoted or an ANSI-C quoted word on one line.
  for (const s of hostile) assert.match(shellQuote(s), /^(?:'[^']*'(?:\\''[^']*')*|\$'[^\n\r']*(?:\\'[^\n\r']*)*')$/u, s);
}

/** Runs a batch script with fake srun/scontrol; returns the argv srun got (NUL-separated words). */
function runWithFakeSlurm(script: string, dir: string): string[] {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  const record = path.join(dir, 'srun.args');
  fs.writeFileSync(path.join(bin, 'srun'), `#!/bin/bash\nprintf '%s\\0' "$@" > ${shellQuote(record)}\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(bin, 'scontrol'), '#!/bin/sh\necho node1\n', { mode: 0o755 });
  const file = path.join(dir, 'job.sbatch');
  fs.writeFileSync(file, script, { mode: 0o755 });
  const r = spawnSync('bash', [file], { cwd: dir, encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, SLURM_JOB_ID: '7', SLURM_JOB_NODELIST: 'node1' } });
  assert.equal(r.status, 0, r.stderr);
  return fs.readFileSync(record, 'utf8').split('\0').slice(0, -1);
}

const noPwned = (...dirs: string[]): void => {
  for (const d of dirs) assert.deepEqual(fs.existsSync(d) ? fs.readdirSync(d).filter((f) => f.startsWith('PWNED')) : [], [], d);
};

describe('batch script from hostile values', () => {
  it('holds user strings only as quoted words, parses, and runs them unchanged', () => {
    const dir = path.join(work, 'exec', HOSTILE_NAME);
    fs.mkdirSync(dir, { recursive: true });
    const run = hostileRun(dir);
    const res: SlurmResources = { partition: 'gpu', gres: 'gpu:2', time: '1-00:00:00', mem: '16G', cpusPerTask: 4, extra: ['--account=lab'] };
    const script = batchScript(run, res);
    assertSafeScript(script, run);
    assert.match(script, /^#SBATCH --job-name=icl-run__sq___dq____touch_PWNED_subst_/mu);
    assert.match(script, /^#SBATCH --output=job-%j\.out$/mu);
    const fresh = runWithFakeSlurm(script, path.join(work, 'exec'));
    assert.deepEqual(fresh, [
      '--kill-on-bad-exit=0', run.node, ...run.execArgv, run.trainScript,
      '--config', run.configFile!, ...run.overrides, 'train.output_dir', run.outputDir,
      'train.distributed', 'True', 'num_threads', '4',
    ]);
    // The resume branch: the run folder holds a config.
    fs.writeFileSync(path.join(dir, 'config.yaml'), '');
    const resumed = runWithFakeSlurm(script, path.join(work, 'exec'));
    assert.deepEqual(resumed, ['--kill-on-bad-exit=0', run.node, ...run.execArgv, run.trainScript, '--resume', run.outputDir, '--start-over', ...run.overrides, 'train.distributed', 'True', 'num_threads', '4']);
    noPwned(work, path.join(work, 'exec'), dir);
  });

  it('quotes control characters so that a quoted word stays on one line', () => {
    assert.equal(shellQuote('a\nb'), "$'a\\x0ab'");
    assert.equal(shellQuote("it's\\\r"), "$'it\\'s\\\\\\x0d'");
    assert.equal(shellQuote('x\u0085'), "$'x\\xc2\\x85'");
    assert.equal(shellQuote('a b'), "'a b'");
    assert.equal(shellQuote('gpu:2'), 'gpu:2');
  });

  it('a run folder with spaces, quotes, $(…) and backticks submits (fake sbatch), and nothing in its name runs', () => {
    const dir = path.join(work, 'submit', HOSTILE_NAME);
    const fake = path.join(work, 'sbatch');
    const seen = path.join(work, 'sbatch.seen');
    fs.writeFileSync(fake, `#!/bin/bash\n{ pwd; printf '%s\\n' "$@"; } > ${shellQuote(seen)}\necho 99\n`, { mode: 0o755 });
    const r = submitToSlurm({ ...hostileRun(dir), overrides: ['scheduler.epochs', '2'] }, {}, { sbatch: fake });
    assert.equal(r.jobId, '99');
    const [cwd, ...args] = fs.readFileSync(seen, 'utf8').trim().split('\n');
    assert.equal(cwd, path.join(dir, 'slurm'));
    assert.deepEqual(args, ['--parsable', path.join(dir, 'slurm', 'job.sbatch')]);
    assertSafeScript(fs.readFileSync(r.script, 'utf8'), { ...hostileRun(dir), overrides: ['scheduler.epochs', '2'] });
    noPwned(work, path.join(work, 'submit'), dir, path.join(dir, 'slurm'));
  });
});

describe('values that must stay on one line', () => {
  it('refuses a control character in a path of the config, naming the key and the character', () => {
    const bad = (key: string, value: string) => assert.throws(() => loadConfig({ overrides: [key, value] }), (e: Error) => e instanceof ConfigError && e.message.startsWith(`command line: ${key}: holds a`), key);
    bad('train.output_dir', "'a\nb'");
    bad('dataset.dataset_dir', 'data\x00');
    bad('test.checkpoint', 'x\rtouch y');
    bad('test.output_dir', 'out\u0085');
    assert.throws(() => loadConfig({ overrides: ['train.output_dir', 'x\x1b[2J'] }), /train\.output_dir: holds an escape \(U\+001B\) at character 2 of "x\\u001b\[2J"/);
    assert.equal(loadConfig({ overrides: ['train.output_dir', `/tmp/${HOSTILE_NAME}`] }).train.output_dir, `/tmp/${HOSTILE_NAME}`);
    // The YAML dump keeps any string on one line and reads it back unchanged.
    for (const v of ['a\nb: c', "it's\r\x1b\u0085", HOSTILE_NAME]) {
      const text = formatString(v);
      assert.doesNotMatch(text, /[\n\r]/u);
      assert.equal((YAML.parse(`k: ${text}\n`) as { k: string }).k, v);
    }
  });

  it('refuses Slurm options sbatch would not read as given', () => {
    const bad = (res: SlurmResources, re: RegExp) => assert.throws(() => checkSlurmResources(res), (e: Error) => e instanceof ConfigError && re.test(e.message), JSON.stringify(res));
    bad({ partition: 'gpu\nsrun evil' }, /^--partition: holds a newline \(U\+000A\) at character 4/);
    bad({ gres: 'gpu:2\r' }, /^--gres: holds a carriage return \(U\+000D\)/);
    bad({ time: '1:00:00 #' }, /^--time: holds " "/);
    bad({ time: 'soon' }, /^--time: expected minutes, mm:ss/);
    bad({ mem: '16 G' }, /^--mem: holds " "/);
    bad({ mem: '16GB' }, /^--mem: expected a whole size/);
    bad({ jobName: "it's" }, /^--job-name: holds "'"/);
    bad({ extra: ['--comment=a#b'] }, /^--sbatch-arg: holds "#"/);
    bad({ extra: ['account=x'] }, /^--sbatch-arg: expected an sbatch option/);
    bad({ partition: 'a b' }, /^--partition: holds " "/);
    assert.doesNotThrow(() => checkSlurmResources({ partition: 'gpu,cpu', gres: 'gpu:a100:4', time: '2-12:00', mem: '32G', jobName: 'sweep-1', extra: ['--account=lab', '--qos=high'] }));
    for (const t of ['30', '30:00', '04:00:00', '1-0', '1-00:00:00', 'UNLIMITED']) assert.doesNotThrow(() => checkSlurmResources({ time: t }), t);
  });

  it('refuses a queue run name, queue folder or config path with a control character', () => {
    const file = path.join(work, 'q.yaml');
    fs.writeFileSync(file, 'runs:\n  - name: "a\\nb"\n');
    assert.throws(() => readQueueFile(file), /q\.yaml: run 1\.name: holds a newline \(U\+000A\) at character 2 of "a\\nb"/);
    fs.writeFileSync(file, 'output_dir: "x\\ry"\nruns: [{name: a}]\n');
    assert.throws(() => readQueueFile(file), /q\.yaml: output_dir: holds a carriage return/);
    fs.writeFileSync(file, 'runs: [{name: a}]\n');
    assert.throws(() => readQueueFile(file, 'out\n'), /^ConfigError: --output_dir: holds a newline/);
  });
});

describe('the CLIs refuse them with exit 2', () => {
  it('the issue\'s reproduction: a newline in train.output_dir (npm run submit -- --slurm --dry-run)', async () => {
    const dir = path.join(work, 'repro');
    fs.mkdirSync(dir);
    const evil = path.join(dir, 'evil.yaml');
    fs.writeFileSync(evil, `train:\n  output_dir: "${dir}/run\\ntouch ${dir}/PWNED\\n#"\n`);
    const r = await runCli('submit', ['--slurm', '--dry-run', '--config', evil]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /evil\.yaml:2:\d+: train\.output_dir: holds a newline \(U\+000A\)/);
    assert.deepEqual(fs.readdirSync(dir), ['evil.yaml']);
  });

  it('a newline in --partition (submit) and in a queue run\'s name (queue --slurm)', async () => {
    const out = path.join(work, 'flag-run');
    const r = await runCli('submit', ['--slurm', '--dry-run', '--partition', 'gpu\ntouch PWNED', 'train.output_dir', out]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--partition: holds a newline \(U\+000A\)/);
    assert.equal(fs.existsSync(out), false);
    const file = path.join(work, 'named.yaml');
    fs.writeFileSync(file, 'runs:\n  - name: "ok\\ntouch PWNED"\n');
    const q = await runCli('queue', [file, '--slurm', '--output_dir', path.join(work, 'named-queue')]);
    assert.equal(q.code, 2, q.stderr);
    assert.match(q.stderr, /named\.yaml: run 1\.name: holds a newline \(U\+000A\)/);
    noPwned(work);
  });
});
