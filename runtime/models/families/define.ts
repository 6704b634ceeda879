/**
 * What a model family module declares, and the arithmetic of its depth rule. A family module
 * (`families/<name>.ts`) default-exports `defineFamily({ name, types, depth, section, build })`: the
 * model types it exists for, the cifar type's depth rule, its config section `model.<name>` (built with
 * `config/spec`'s helpers) and one builder per declared type, typed so that a missing one does not
 * compile. This module and the family modules load no TensorFlow.js (builders receive it as `ctx.nn`),
 * so the config, the editor and the submit/queue CLIs read the declarations without it.
 */
import { ConfigError } from '../../config/config_error';
import type { ConfigOf, SectionSpec } from '../../config/spec';
import type { BuildContext } from '../build_context';
import type { Model } from '../types';

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

/** depth = a·n + b, n ≥ 1 (n = blocks per stage). */
export interface DepthRule {
  readonly a: number;
  readonly b: number;
}

/**
 * Builds one family's network of one model type.
 * @param section the family's config section `model.<name>`
 */
export type Builder<S> = (section: S, ctx: BuildContext) => Model;

/** One model family as the config sees it: the types it is built for, its cifar depth rule, its config section. */
export interface FamilyDeclaration {
  readonly types: readonly ModelType[];
  /** Absent: the cifar type has no depth key (VGG lists its layers). */
  readonly depth?: DepthCount;
  /** The section `model.<name>`. */
  readonly section: SectionSpec;
  /** A builder per declared type; absent for a declaration made to the config only (`registerFamily`). */
  readonly build?: Readonly<Partial<Record<ModelType, Builder<never>>>>;
}

/** A declaration with its `model.name` value. */
export interface NamedFamily extends FamilyDeclaration {
  readonly name: string;
}

/** What a family module default-exports: its declaration and one builder per declared type. */
export interface ModelFamily<N extends string, T extends readonly ModelType[], S extends SectionSpec> extends NamedFamily {
  /** The `model.name` value; also the family's key in `families/index.ts`. */
  readonly name: N;
  readonly types: T;
  readonly section: S;
  /** One builder for each type in `types`, called with the section `model.<name>`. */
  readonly build: { readonly [K in T[number]]: Builder<ConfigOf<S>> };
}

/**
 * Declares a model family (the default export of a family module), keeping its literal name and
 * types, so that a declared type without a builder, or a builder of another section, is a compile error.
 */
export function defineFamily<const N extends string, const T extends readonly ModelType[], S extends SectionSpec>(family: ModelFamily<N, T, S>): ModelFamily<N, T, S> {
  return family;
}

/** The family's `block_type` default, when its section has that key. */
export function defaultBlockType(f: FamilyDeclaration): string | undefined {
  const leaf = f.section.children.block_type;
  return leaf?.kind === 'leaf' ? String(leaf.default) : undefined;
}

/**
 * The cifar-type depth rule of a family and block type.
 * @param blockType `model.<family>.block_type`; undefined: the section's default
 * @returns undefined for an unknown block type, or a family without a depth (vgg)
 */
export function depthRuleOf(f: FamilyDeclaration, blockType?: string): DepthRule | undefined {
  if (!f.depth) return undefined;
  const { layers, extra } = f.depth;
  const perBlock = typeof layers === 'number' ? layers : (layers as Record<string, number>)[blockType ?? defaultBlockType(f) ?? ''];
  return perBlock === undefined ? undefined : { a: CIFAR_STAGES * perBlock, b: extra };
}

/** Whether `depth` is a·n + b for an integer n ≥ 1. */
export const fitsRule = (r: DepthRule, depth: number): boolean => Number.isInteger(depth) && depth > r.b && (depth - r.b) % r.a === 0;

/** Every depth of rule `r` up to `limit`, ascending (none are skipped); [] without a rule. */
export function depthsOfRule(r: DepthRule | undefined, limit: number): number[] {
  const out: number[] = [];
  if (r) for (let d = r.a + r.b; d <= limit; d += r.a) out.push(d);
  return out;
}

/**
 * The depths of rule `r` nearest to `depth`: `[depth]` when it fits, else the one below (when there is
 * one) and the one above, ascending; [] without a rule.
 */
export function nearestOfRule(r: DepthRule | undefined, depth: number): number[] {
  if (!r || !Number.isFinite(depth)) return [];
  if (fitsRule(r, depth)) return [depth];
  const n = Math.floor((depth - r.b) / r.a);
  return n >= 1 ? [r.a * n + r.b, r.a * (n + 1) + r.b] : [r.a + r.b];
}

/**
 * Why `depth` does not fit the family's rule, as one line (the rule, its first valid depths without a
 * gap, and the nearest ones), or undefined when it fits or the family has no depth rule:
 * `24 does not fit wrn: depth = 6n+4 (n >= 1 blocks per stage), i.e. 10, 16, 22, 28, 34, 40, ... in steps of 6; nearest 22 or 28`.
 * @param blockType `model.<family>.block_type`; undefined: the section's default
 */
export function depthProblemOf(f: NamedFamily, blockType: string | undefined, depth: number): string | undefined {
  const r = depthRuleOf(f, blockType);
  if (!r || fitsRule(r, depth)) return undefined;
  const what = defaultBlockType(f) !== undefined ? `block_type ${blockType ?? defaultBlockType(f)}` : f.name;
  const first = depthsOfRule(r, r.b + 6 * r.a).join(', ');
  return `${depth} does not fit ${what}: depth = ${r.a}n+${r.b} (n >= 1 blocks per stage), i.e. ${first}, ... in steps of ${r.a}; nearest ${nearestOfRule(r, depth).join(' or ')}`;
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
export function cifarBlocks(f: NamedFamily, depth: number, blockType?: string): number[] {
  const r = depthRuleOf(f, blockType);
  if (!r) throw new ConfigError(`${f.name} has no cifar depth rule for block_type ${String(blockType)}`, { key: `model.${f.name}.depth` });
  const problem = depthProblemOf(f, blockType, depth);
  if (problem) throw new ConfigError(problem, { key: `model.${f.name}.depth` });
  return new Array<number>(CIFAR_STAGES).fill((depth - r.b) / r.a);
}

/**
 * Blocks in each of the {@link IMAGENET_STAGES} stages of a family's imagenet-type network: the list
 * `model.<family>.n_blocks` (as {@link cifarBlocks}, the builder passes the value).
 * @throws ConfigError naming `model.<family>.n_blocks` when it has not {@link IMAGENET_STAGES} entries
 */
export function imagenetBlocks(f: Pick<NamedFamily, 'name'>, nBlocks: readonly number[]): number[] {
  if (nBlocks.length !== IMAGENET_STAGES) {
    throw new ConfigError(`needs ${IMAGENET_STAGES} entries for the imagenet type, got ${nBlocks.length}`, { key: `model.${f.name}.n_blocks` });
  }
  return [...nBlocks];
}

/** Leaf options the family sections share. */
export const POSITIVE = { minimum: 1 } as const;
export const NON_NEGATIVE = { minimum: 0 } as const;
/** `n_blocks` of an imagenet-type network: one positive count per stage. */
export const IMAGENET_BLOCKS = { lengths: [IMAGENET_STAGES], minimum: 1 } as const;
/** A dropout rate in [0, 1). */
export const DROP_RATE = { minimum: 0, exclusiveMaximum: 1 } as const;
/** The depth rule of residual networks with basic (2 convs) or bottleneck (3 convs) blocks: 6n+2 or 9n+2. */
export const RESIDUAL_DEPTH: DepthCount = { layers: { basic: 2, bottleneck: 3 }, extra: 2 };
