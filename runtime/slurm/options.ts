/**
 * Checks of the Slurm options a user gives (`--partition`, `--gres`, `--time`, `--mem`, `--job-name`,
 * `--sbatch-arg`) before they become `#SBATCH` lines of the batch script (runtime/slurm/script.ts).
 * sbatch reads a directive line itself: it splits it at white space, interprets quotes and
 * backslashes and ends it at `#` (a comment), and a newline ends the directive, so the next line
 * would be a command of the job. A value is therefore refused when it holds a control character,
 * white space, a quote, a backslash or `#`; time and memory also have to be in sbatch's formats.
 */
import { ConfigError, oneLineProblem } from '../config';
import type { SlurmResources } from './script';

/** Characters sbatch interprets in a directive line (besides control characters, refused first). */
const DIRECTIVE_SPECIAL = /[\s"'\\#]/u;

/**
 * What sbatch would make of `value` on an `#SBATCH` line, or undefined when it reads it as given.
 * Used for every directive of the script, user-given or not.
 */
export function directiveValueProblem(value: string): string | undefined {
  const line = oneLineProblem(value);
  if (line) return line.replace('paths and names must', '#SBATCH values must');
  const m = DIRECTIVE_SPECIAL.exec(value);
  if (m) return `holds ${JSON.stringify(m[0])} in ${JSON.stringify(value)}, which sbatch interprets in a #SBATCH line (white space, quotes, backslashes and # are not allowed)`;
  return undefined;
}

/** `--time` as sbatch accepts it: minutes, mm:ss, hh:mm:ss, d-hh, d-hh:mm, d-hh:mm:ss, or UNLIMITED. */
const TIME = /^(?:\d+(?::\d{1,2}){0,2}|\d+-\d{1,2}(?::\d{1,2}){0,2}|UNLIMITED|INFINITE)$/iu;
/** `--mem` as sbatch accepts it: a whole size with an optional K, M, G or T unit (default M). */
const MEM = /^\d+[KMGT]?$/iu;
/** A partition or a comma-separated list of partitions. */
const PARTITION = /^[\w.-]+(?:,[\w.-]+)*$/u;

/**
 * Checks the user-given Slurm options; the flag name is the key of the message.
 * @throws ConfigError `--partition: holds a newline (U+000A) …`, `--time: expected …`
 */
export function checkSlurmResources(res: SlurmResources): void {
  const fail = (flag: string, problem: string): never => {
    throw new ConfigError(problem, { key: `--${flag}` });
  };
  const formats: Array<[flag: string, value: string | undefined, format: RegExp | undefined, expected: string]> = [
    ['partition', res.partition, PARTITION, 'a partition name or a comma-separated list of them (letters, digits, _ . -)'],
    ['gres', res.gres, undefined, ''],
    ['time', res.time, TIME, 'minutes, mm:ss, hh:mm:ss, d-hh, d-hh:mm, d-hh:mm:ss or UNLIMITED'],
    ['mem', res.mem, MEM, 'a whole size with an optional unit K, M, G or T (e.g. 32G)'],
    ['job-name', res.jobName, undefined, ''],
  ];
  for (const [flag, value, format, expected] of formats) {
    if (value === undefined) continue;
    const p = directiveValueProblem(value);
    if (p) fail(flag, p);
    if (format && !format.test(value)) fail(flag, `expected ${expected}, got ${JSON.stringify(value)}`);
  }
  for (const arg of res.extra ?? []) {
    const p = directiveValueProblem(arg);
    if (p) fail('sbatch-arg', p);
    if (!arg.startsWith('-')) fail('sbatch-arg', `expected an sbatch option such as --account=NAME, got ${JSON.stringify(arg)}`);
  }
}
