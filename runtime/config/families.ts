/**
 * The model families, declared once: for each `model.name` the model types it exists for, the cifar
 * type's depth rule (how depth counts blocks per stage) and its config section `model.<name>`. The
 * config tree, the checks, the editor's completion and `createModel` all read this table; it imports no
 * TensorFlow.js, so the extension can use it. `runtime/models/index.ts` holds one builder per family
 * and type, typed against {@link FAMILIES} so that a missing one does not compile.
 */
import { ConfigError } from './config_error';
import { bool, bools, float, int, ints, section, str, type SectionSpec } from './spec';

/** Values of `model.type`: small-input stems (cifar) or the 7x7/2 stem with max-pool (imagenet). */
export const MODEL_TYPES = ['cifar', 'imagenet'] as const;
export type ModelType = (typeof MODEL_TYPES)[number];
/** Values of the `block_type` keys. */
export const BLOCK_TYPES = ['basic', 'bottleneck'] as const;
export type BlockType = (typeof BLOCK_TYPES)[number];

/** Stages of a cifar-type network with a depth rule (strides 1, 2, 2). */
export const CIFAR_STAGES = 3;
/** Stages of an imagenet-type network (strides 1, 2, 2, 2); `n_blocks` lists their blocks. */
export const IMAGENET_STAGES = 4;

/**
 * How the depth of a cifar-type network counts its layers: depth = 3·layers·n + extra, with n ≥ 1
 * blocks in each of the {@link CIFAR_STAGES} stages, `layers` weighted layers per block and `extra`
 * layers outside the stages (stem conv, classifier, transitions).
 */
export interface DepthCount {
  /** Weighted layers of one block, by `block_type` where the family has block types. */
  readonly layers: number | Readonly<Record<BlockType, number>>;
  readonly extra: number;
}

/** One model family: the types it is built for, its cifar depth rule, its config section. */
export interface FamilyDeclaration {
  readonly types: readonly ModelType[];
  /** Absent: the cifar type has no depth key (VGG lists its layers). */
  readonly depth?: DepthCount;
  /** The section `model.<name>`. */
  readonly section: SectionSpec;
}

/** depth = a·n + b, n ≥ 1 (n = blocks per stage). */
export interface DepthRule {
  readonly a: number;
  readonly b: number;
}

const positive = { minimum: 1 };
const nonNeg = { minimum: 0 };
const stages4 = { lengths: [IMAGENET_STAGES], minimum: 1 };
const dropRate = { minimum: 0, exclusiveMaximum: 1 };
const residual = { layers: { basic: 2, bottleneck: 3 }, extra: 2 } as const;

/** The keys ResNet and ResNet-preact share: depth (cifar), n_blocks (imagenet), block type, first-stage width. */
const resnetKeys = (blockDescription: string) => ({
  depth: int(110, 'Depth of the cifar model (basic: 6n+2, bottleneck: 9n+2)', positive),
  n_blocks: ints([2, 2, 2, 2], 'Blocks per stage of the imagenet model (4 stages)', stages4),
  block_type: str('basic', blockDescription, { allowed: BLOCK_TYPES }),
  initial_channels: int(16, 'Channels of the first stage', positive),
});

/** A declaration, keeping its literal `types` (so the builders' table can be checked against them). */
function family<const T extends readonly ModelType[], S extends SectionSpec>(d: { types: T; depth?: DepthCount; section: S }) {
  return d;
}

/** The built-in families, in the order of the config reference. */
export const FAMILIES = {
  vgg: family({
    types: ['cifar', 'imagenet'],
    section: section('VGG with optional batch norm (5 stages)', {
      n_channels: ints([64, 128, 256, 512, 512], 'Output channels of each of the 5 stages', { lengths: [5], minimum: 1 }),
      n_layers: ints([2, 2, 3, 3, 3], 'Conv layers in each of the 5 stages', { lengths: [5], minimum: 1 }),
      use_bn: bool(true, 'Batch norm after every conv'),
    }, '1409.1556'),
  }),
  resnet: family({
    types: ['cifar', 'imagenet'],
    depth: residual,
    section: section('ResNet', resnetKeys('Residual block: basic (two 3x3 convs) or bottleneck (1x1-3x3-1x1)'), '1512.03385'),
  }),
  resnet_preact: family({
    types: ['cifar', 'imagenet'],
    depth: residual,
    section: section('Pre-activation ResNet', {
      ...resnetKeys('Residual block: basic or bottleneck'),
      remove_first_relu: bool(false, 'Drop the ReLU after the first BN of non-preactivated blocks'),
      add_last_bn: bool(false, 'Add a BN after the last conv of the residual branch'),
      preact_stage: bools([true, true, true], 'Per stage: the first block shortcut also takes the pre-activated input (cifar 3 entries, imagenet 4)', { lengths: [3, 4] }),
    }, '1603.05027'),
  }),
  wrn: family({
    types: ['cifar'],
    depth: { layers: 2, extra: 4 },
    section: section('Wide ResNet', {
      depth: int(28, 'Depth of the cifar model (6n+4)', positive),
      initial_channels: int(16, 'Channels of the stem conv', positive),
      widening_factor: int(10, 'Width multiplier k', positive),
      drop_rate: float(0.0, 'Dropout rate between the two convs of a block', dropRate),
    }, '1605.07146'),
  }),
  densenet: family({
    types: ['cifar', 'imagenet'],
    depth: { layers: { basic: 1, bottleneck: 2 }, extra: 4 },
    section: section('DenseNet (-BC)', {
      depth: int(100, 'Depth of the cifar model (basic: 3n+4, bottleneck: 6n+4)', positive),
      n_blocks: ints([6, 12, 24, 16], 'Layers per dense block of the imagenet model (4 blocks)', stages4),
      block_type: str('bottleneck', 'Dense layer: basic (3x3) or bottleneck (1x1-3x3)', { allowed: BLOCK_TYPES }),
      growth_rate: int(12, 'Growth rate k', positive),
      drop_rate: float(0.0, 'Dropout rate after each conv', dropRate),
      compression_rate: float(0.5, 'Transition compression: output channels = int(c * rate)', { minimum: 0, maximum: 1 }),
    }, '1608.06993'),
  }),
  pyramidnet: family({
    types: ['cifar', 'imagenet'],
    depth: residual,
    section: section('PyramidNet', {
      depth: int(272, 'Depth of the cifar model (basic: 6n+2, bottleneck: 9n+2)', positive),
      n_blocks: ints([3, 24, 36, 3], 'Blocks per stage of the imagenet model (4 stages)', stages4),
      initial_channels: int(16, 'Channels of the stem conv', positive),
      block_type: str('bottleneck', 'Residual block: basic or bottleneck', { allowed: BLOCK_TYPES }),
      alpha: int(200, 'Total channel increase across the network', nonNeg),
    }, '1610.02915'),
  }),
  resnext: family({
    types: ['cifar', 'imagenet'],
    depth: { layers: 3, extra: 2 },
    section: section('ResNeXt', {
      depth: int(29, 'Depth of the cifar model (9n+2)', positive),
      n_blocks: ints([3, 4, 6, 3], 'Blocks per stage of the imagenet model (4 stages)', stages4),
      initial_channels: int(64, 'Channels of the stem conv', positive),
      cardinality: int(8, 'Number of groups', positive),
      base_channels: int(4, 'Width of each group in the first stage (the cifar YAML uses 64)', positive),
    }, '1611.05431'),
  }),
  shake_shake: family({
    types: ['cifar'],
    depth: { layers: 2, extra: 2 },
    section: section('Shake-Shake regularised ResNet', {
      depth: int(26, 'Depth of the cifar model (6n+2)', positive),
      initial_channels: int(96, "Channels of the first stage (the 'd' in 2x{d}d)", positive),
      shake_forward: bool(true, 'Random branch weights in the forward pass (else 0.5)'),
      shake_backward: bool(true, 'Random branch weights in the backward pass (else the forward ones)'),
      shake_image: bool(true, 'One random weight per image (else one per batch)'),
    }, '1705.07485'),
  }),
  se_resnet_preact: family({
    types: ['cifar'],
    depth: residual,
    section: section('Pre-activation ResNet with squeeze-and-excitation blocks (cifar only)', {
      depth: int(110, 'Depth of the cifar model (basic: 6n+2, bottleneck: 9n+2)', positive),
      initial_channels: int(16, 'Channels of the first stage', positive),
      se_reduction: int(16, 'Squeeze-and-excitation channel reduction ratio r', positive),
      block_type: str('basic', 'Residual block: basic or bottleneck', { allowed: BLOCK_TYPES }),
      remove_first_relu: bool(false, 'Drop the ReLU after the first BN of non-preactivated blocks'),
      add_last_bn: bool(false, 'Add a BN after the last conv of the residual branch'),
      preact_stage: bools([true, true, true], 'Per stage: the first block shortcut also takes the pre-activated input (3 entries)', { lengths: [3] }),
    }, '1709.01507'),
  }),
};

/** Name of a built-in family (`model.name`). */
export type FamilyName = keyof typeof FAMILIES;
/** The model types a built-in family declares. */
export type FamilyTypes<F extends FamilyName> = (typeof FAMILIES)[F]['types'][number];
/** The config sections `model.<name>` of the built-in families. */
export type FamilySections = { [F in FamilyName]: (typeof FAMILIES)[F]['section'] };

const registry = new Map<string, FamilyDeclaration>(Object.entries(FAMILIES));

/** The config sections of the built-in families, by name (the config tree's `model.<name>`). */
export function familySections(): FamilySections {
  return Object.fromEntries(Object.entries(FAMILIES).map(([name, d]) => [name, d.section])) as FamilySections;
}

/** The declaration of a family (built-in or registered), or undefined. */
export function findFamily(name: string): FamilyDeclaration | undefined {
  return registry.get(name);
}

/** Names of the families, in declaration order; with `type`, only those built for that model type. */
export function familyNames(type?: string): string[] {
  return [...registry].filter(([, d]) => type === undefined || (d.types as readonly string[]).includes(type)).map(([n]) => n);
}

/**
 * Adds a family to the table (the config tree's `registerFamily` calls this and adds its section).
 * @throws Error when the name is taken or is not a lower-case identifier
 */
export function addFamily(name: string, declaration: FamilyDeclaration): void {
  if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new Error(`model family name '${name}' is not a lower-case identifier`);
  if (registry.has(name)) throw new Error(`model family '${name}' is already declared`);
  registry.set(name, declaration);
}

/** Removes a family that {@link addFamily} added; built-in families stay. */
export function removeFamily(name: string): void {
  if (!Object.prototype.hasOwnProperty.call(FAMILIES, name)) registry.delete(name);
}

/** The family's `block_type` default, when its section has that key. */
function defaultBlockType(d: FamilyDeclaration): string | undefined {
  const leaf = d.section.children.block_type;
  return leaf?.kind === 'leaf' ? String(leaf.default) : undefined;
}

/**
 * The cifar-type depth rule of a family and block type.
 * @param blockType `model.<family>.block_type`; undefined: the section's default
 * @returns undefined for an unknown family or block type, or a family without a depth (vgg)
 */
export function depthRule(family: string, blockType?: string): DepthRule | undefined {
  const d = findFamily(family);
  if (!d?.depth) return undefined;
  const { layers, extra } = d.depth;
  const perBlock = typeof layers === 'number' ? layers : (layers as Record<string, number>)[blockType ?? defaultBlockType(d) ?? ''];
  return perBlock === undefined ? undefined : { a: CIFAR_STAGES * perBlock, b: extra };
}

/** Whether `depth` is a·n + b for an integer n ≥ 1. */
const fits = (r: DepthRule, depth: number): boolean => Number.isInteger(depth) && depth > r.b && (depth - r.b) % r.a === 0;

/**
 * Every depth the cifar type of a family builds, up to `limit`, ascending (none are skipped).
 * @param blockType `model.<family>.block_type`; undefined: the section's default
 * @returns [] for a family without a depth rule
 */
export function validDepths(family: string, blockType: string | undefined, limit: number): number[] {
  const r = depthRule(family, blockType);
  const out: number[] = [];
  if (r) for (let d = r.a + r.b; d <= limit; d += r.a) out.push(d);
  return out;
}

/**
 * The valid depths nearest to `depth`: `[depth]` when it fits, else the one below (when there is one)
 * and the one above, ascending; [] for a family without a depth rule.
 * @param blockType `model.<family>.block_type`; undefined: the section's default
 */
export function nearestDepths(family: string, blockType: string | undefined, depth: number): number[] {
  const r = depthRule(family, blockType);
  if (!r || !Number.isFinite(depth)) return [];
  if (fits(r, depth)) return [depth];
  const n = Math.floor((depth - r.b) / r.a);
  return n >= 1 ? [r.a * n + r.b, r.a * (n + 1) + r.b] : [r.a + r.b];
}

/**
 * Why `depth` does not fit the family's rule, as one line (the rule, its first valid depths without a
 * gap, and the nearest ones), or undefined when it fits or the family has no depth rule:
 * `24 does not fit wrn: depth = 6n+4 (n >= 1 blocks per stage), i.e. 10, 16, 22, 28, 34, 40, ... in steps of 6; nearest 22 or 28`.
 */
export function depthProblem(family: string, blockType: string | undefined, depth: number): string | undefined {
  const r = depthRule(family, blockType);
  if (!r || fits(r, depth)) return undefined;
  const d = findFamily(family);
  const what = d && defaultBlockType(d) !== undefined ? `block_type ${blockType ?? defaultBlockType(d)}` : family;
  const first = validDepths(family, blockType, r.b + 6 * r.a).join(', ');
  return `${depth} does not fit ${what}: depth = ${r.a}n+${r.b} (n >= 1 blocks per stage), i.e. ${first}, ... in steps of ${r.a}; nearest ${nearestDepths(family, blockType, depth).join(' or ')}`;
}

/**
 * Blocks in each of the {@link CIFAR_STAGES} stages of a family's cifar-type network: n from the depth
 * rule. The builder reads the keys itself and passes their values, so the config's read accounting
 * sees the model read them.
 * @param depth `model.<family>.depth`
 * @param blockType `model.<family>.block_type`; undefined: the section's default
 * @throws ConfigError naming `model.<family>.depth` when it does not fit the rule (the config checks
 *   report this earlier, with the file and line), or the family has no depth rule
 */
export function blocksPerStage(family: string, depth: number, blockType?: string): number[] {
  const r = depthRule(family, blockType);
  if (!r) throw new ConfigError(`${family} has no cifar depth rule for block_type ${String(blockType)}`, { key: `model.${family}.depth` });
  const problem = depthProblem(family, blockType, depth);
  if (problem) throw new ConfigError(problem, { key: `model.${family}.depth` });
  return new Array<number>(CIFAR_STAGES).fill((depth - r.b) / r.a);
}

/**
 * Blocks in each of the {@link IMAGENET_STAGES} stages of a family's imagenet-type network: the list
 * `model.<family>.n_blocks` (as {@link blocksPerStage}, the builder passes the value).
 * @throws ConfigError naming `model.<family>.n_blocks` when it has not {@link IMAGENET_STAGES} entries
 */
export function imagenetBlocksPerStage(family: string, nBlocks: readonly number[]): number[] {
  if (nBlocks.length !== IMAGENET_STAGES) {
    throw new ConfigError(`needs ${IMAGENET_STAGES} entries for the imagenet type, got ${nBlocks.length}`, { key: `model.${family}.n_blocks` });
  }
  return [...nBlocks];
}
