/**
 * The config system: the tree of every key (defaults, types, allowed values, descriptions, papers),
 * loading and merging (YAML, command-line overrides, resume), checks, writing, JSON Schema.
 */
export {
  CONFIG_TREE,
  configLeaves,
  configSections,
  defaultConfig,
  findLeaf,
  findNode,
  getPath,
  setPath,
  BLOCK_TYPES,
  DATASET_NAMES,
  DEVICES,
  DIST_BACKENDS,
  IMAGENET_MODEL_NAMES,
  INIT_MODES,
  MODEL_NAMES,
  MODEL_TYPES,
  OPTIMIZERS,
  PADDING_MODES,
  PRECISIONS,
  SCHEDULER_TYPES,
  WARMUP_TYPES,
  type Config,
} from './tree';
export type { ConfigNodeSpec, ConfigOf, LeafEntry, LeafOptions, LeafSpec, LeafType, SectionEntry, SectionSpec, ValueOf } from './spec';
export { ConfigError, editDistance, formatOrigin, suggestKeys, type Origin } from './errors';
export { loadConfig, loadConfigFromText, loadConfigWithOrigins, type LoadConfigOptions, type LoadedConfig } from './load';
export { coerceLiteral, expectedType, type Origins } from './merge';
export { applyForcedDatasetFields, compatWarnings, configWarnings, depthRule, fittingDepths, sgdrCycles, validateConfig, FORCED_DATASET_FIELDS, type DepthRule } from './validate';
export { configToPlainObject, dumpConfig, dumpMinConfig, formatValue } from './dump';
export { arxivUrl, configJsonSchema, configMarkdown, leafMarkdown, typeName, CONFIG_SCHEMA_ID } from './schema';
export { cliFlagsHelp, parseCliArgs, type CliArgs, type ExtraFlag } from './args';
export { describeControl, firstControl, oneLineProblem } from './one_line';
export { parseLiteral, parseToken, type Literal } from './literal';
