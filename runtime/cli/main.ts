import * as fs from 'node:fs';
import { ConfigError, cliFlagsHelp, loadConfig, parseCliArgs, type Config, type ExtraFlag } from '../config';
import { CONFIG_READS_ENV, recordReads } from '../config/reads';
import { RunDirError } from '../train/run_dir';
import { survivePipeErrors } from '../util/stdio';

/**
 * Runs a CLI's body and turns any error into one line on stderr (`error: …`) and exit code 1
 * (2 for usage and config errors, and a run folder that cannot be used: exists, in use). A stack trace is printed only with `ICL_DEBUG=1`.
 */
export function runCli(body: () => Promise<number | void>): void {
  // A closed console (EPIPE) must not end a run: its records are files.
  survivePipeErrors();
  body().then(
    (code) => {
      process.exitCode = code ?? 0;
    },
    (err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      process.stderr.write(`error: ${e.message}\n`);
      if (process.env.ICL_DEBUG === '1' && e.stack) process.stderr.write(`${e.stack}\n`);
      process.exitCode = e instanceof ConfigError || e instanceof RunDirError ? 2 : 1;
    },
  );
}

/** Parsed command line of a config-driven CLI. */
export interface ConfigCli {
  config: Config;
  resumeDir?: string;
  flags: Record<string, string | boolean>;
}

/**
 * Parses `[--config FILE] [--resume DIR] [key value …]` and loads the config; prints `usage`
 * and returns undefined for `--help`.
 * @throws ConfigError for bad flags, keys, types or values
 */
export function parseConfigCli(usage: string, extraFlags: Record<string, ExtraFlag> = {}, allowResume = false): ConfigCli | undefined {
  const args = parseCliArgs(process.argv.slice(2), extraFlags);
  if (args.help) {
    process.stdout.write(`${usage}\n\nOptions:\n${cliFlagsHelp(extraFlags)}\n\nAny config key can be overridden as \`key value\`, e.g. train.batch_size 64 (see docs/config.md).\n`);
    return undefined;
  }
  if (args.resumeDir && !allowResume) throw Object.assign(new Error('--resume is not an option of this command'), { name: 'ConfigError' });
  const config = loadConfig({ configFile: args.configFile, overrides: args.overrides, resumeDir: args.resumeDir });
  return { config: withReadLog(config), resumeDir: args.resumeDir, flags: args.flags };
}

/**
 * With `ICL_CONFIG_READS=FILE` in the environment: the config records the keys the command reads
 * (runtime/config/reads.ts) and they are written to FILE, one per line, when the process exits
 * (the key-accounting test, test/config/keys.test.ts). Otherwise the config itself.
 */
function withReadLog(config: Config): Config {
  const file = process.env[CONFIG_READS_ENV];
  if (!file) return config;
  const { config: recorded, reads } = recordReads(config);
  process.on('exit', () => fs.writeFileSync(file, [...reads].sort().map((k) => `${k}\n`).join('')));
  return recorded;
}

/** The `--no-download` flag of the commands that read a dataset (train, evaluate). */
export const NO_DOWNLOAD_FLAG: Record<string, ExtraFlag> = {
  'no-download': { type: 'boolean', description: 'never download a missing dataset (sets dataset.download False)' },
};

/** Applies `--no-download` to the parsed config. */
export function applyNoDownload(cli: ConfigCli): void {
  if (cli.flags['no-download'] === true) cli.config.dataset.download = false;
}

/** Prints the final machine-readable line of a command. */
export function printJsonLine(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
