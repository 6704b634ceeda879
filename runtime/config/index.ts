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
  registerFamily,
  setPath,
  DEVICES,
  DIST_BACKENDS,
  INIT_MODES,
  OPTIMIZERS,
  PADDING_MODES,
  PRECISIONS,
  SCHEDULER_TYPES,
  WARMUP_TYPES,
  type Config,
} from './tree';
export { DATASET_NAMES } from '../data/dataset_info';
export {
  BLOCK_TYPES,
  CIFAR_STAGES,
  FAMILIES,
  IMAGENET_STAGES,
  MODEL_TYPES,
  depthProblem,
  depthRule,
  familyNames,
  findFamily,
  nearestDepths,
  validDepths,
  type BlockType,
  type DepthCount,
  type DepthRule,
  type FamilyDeclaration,
  type FamilyName,
  type ModelType,
} from './families';
export type { ConfigNodeSpec, ConfigOf, LeafEntry, LeafOptions, LeafSpec, LeafType, SectionEntry, SectionSpec, ValueOf } from './spec';
export { ConfigError, editDistance, formatOrigin, suggestKeys, type Origin } from './errors';
export { loadConfig, loadConfigFromText, loadConfigWithOrigins, type LoadConfigOptions, type LoadedConfig } from './load';
export { coerceLiteral, expectedType, type Origins } from './merge';
export { applyForcedDatasetFields, compatWarnings, configWarnings, sgdrCycles, validateConfig } from './validate';
export { configToPlainObject, dumpConfig, dumpMinConfig, formatValue } from './dump';
export { arxivUrl, configJsonSchema, configMarkdown, leafMarkdown, typeName, CONFIG_SCHEMA_ID } from './schema';
export { cliFlagsHelp, parseCliArgs, type CliArgs, type ExtraFlag } from './args';
export { describeControl, firstControl, oneLineProblem } from './one_line';
export { parseLiteral, parseToken, type Literal } from './literal';
