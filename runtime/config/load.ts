/**
 * Loading a config: defaults -> YAML file -> command-line overrides -> forced dataset fields ->
 * checks. On resume: defaults -> `<run>/config.yaml` -> overrides (the command line wins, unlike
 * the original where the saved config silently beat it).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONFIG_FILE } from '../protocol/run_folder';
import { ConfigError } from './errors';
import { mergeOverrides, mergeYamlText, type MergeContext, type Origins } from './merge';
import { defaultConfig, type Config } from './tree';
import { applyForcedDatasetFields, validateConfig } from './validate';

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** YAML file merged over the defaults. */
  configFile?: string;
  /** Dotted `key value` pairs, e.g. `['train.batch_size', '64', 'model.name', 'wrn']`. */
  overrides?: readonly string[];
  /** Run folder to resume: its `config.yaml` replaces `configFile`. */
  resumeDir?: string;
}

function readConfigFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      const hint = !path.isAbsolute(file) && fs.existsSync(path.join('configs', file)) ? ` (did you mean ${path.join('configs', file)}?)` : '';
      throw new ConfigError(`config file not found${hint}`, { origin: { file } });
    }
    if (code === 'EISDIR') throw new ConfigError('is a folder, not a config file', { origin: { file } });
    throw new ConfigError(`cannot read config file (${(err as Error).message})`, { origin: { file } });
  }
}

/** A loaded config with the origin of every value that did not come from the defaults. */
export interface LoadedConfig {
  config: Config;
  /** Dotted key -> where its value was set (`file`/`line`/`column`, or `{}` for the command line). */
  origins: Origins;
}

/**
 * Like {@link loadConfig} but also returns where each value came from (for editors and messages).
 * @throws ConfigError
 */
export function loadConfigWithOrigins(opts: LoadConfigOptions = {}): LoadedConfig {
  if (opts.configFile !== undefined && opts.resumeDir !== undefined) {
    throw new ConfigError('give either --config or --resume, not both (a resumed run uses the config.yaml of its folder; change values with key value overrides)');
  }
  const ctx: MergeContext = { cfg: defaultConfig(), origins: new Map() };
  if (opts.resumeDir !== undefined) {
    const file = path.join(opts.resumeDir, CONFIG_FILE);
    if (fs.existsSync(opts.resumeDir) && !fs.statSync(opts.resumeDir).isDirectory()) {
      throw new ConfigError(`--resume takes the run folder, not a file: --resume ${path.dirname(opts.resumeDir)}`, { origin: { file: opts.resumeDir } });
    }
    if (!fs.existsSync(file)) {
      throw new ConfigError(`no ${CONFIG_FILE} in this folder, so it is not a run folder to resume`, { origin: { file: opts.resumeDir } });
    }
    mergeYamlText(ctx, readConfigFile(file), file);
  } else if (opts.configFile !== undefined) {
    mergeYamlText(ctx, readConfigFile(opts.configFile), opts.configFile);
  }
  mergeOverrides(ctx, opts.overrides ?? []);
  if (opts.resumeDir !== undefined) {
    ctx.cfg.train.resume = true;
    ctx.cfg.train.output_dir = opts.resumeDir;
  }
  applyForcedDatasetFields(ctx.cfg);
  validateConfig(ctx.cfg, ctx.origins);
  return { config: ctx.cfg, origins: ctx.origins };
}

/**
 * Loads the configuration: defaults, then `configFile` (YAML), then the `key value` overrides, then
 * the dataset fields the original forces (image_size, n_channels, n_classes of CIFAR and the MNIST
 * family), then checks. With `resumeDir`: defaults, `resumeDir/config.yaml`, overrides, and
 * `train.resume = true`, `train.output_dir = resumeDir`.
 * @throws ConfigError with a one-line message (unknown key, wrong type, invalid value, YAML syntax, missing file).
 */
export function loadConfig(opts: LoadConfigOptions = {}): Config {
  return loadConfigWithOrigins(opts).config;
}

/**
 * Loads a config from YAML text instead of a file (e.g. an editor buffer), with optional overrides.
 * @param file the name shown in messages.
 * @throws ConfigError
 */
export function loadConfigFromText(text: string, opts: { file?: string; overrides?: readonly string[] } = {}): LoadedConfig {
  const ctx: MergeContext = { cfg: defaultConfig(), origins: new Map() };
  mergeYamlText(ctx, text, opts.file ?? '<text>');
  mergeOverrides(ctx, opts.overrides ?? []);
  applyForcedDatasetFields(ctx.cfg);
  validateConfig(ctx.cfg, ctx.origins);
  return { config: ctx.cfg, origins: ctx.origins };
}
