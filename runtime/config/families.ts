/**
 * The model family table: for each `model.name` the model types it exists for, the cifar type's depth
 * rule (how depth counts blocks per stage), its config section `model.<name>` and its builders. Each
 * family declares itself in one module, `runtime/models/families/<name>.ts`, listed in
 * `runtime/models/families/index.ts`; the config tree, the checks, the editor's completion and
 * `createModel` all read this table. Neither it nor the family modules load TensorFlow.js (the builders
 * receive it through their build context), so the extension and the submit/queue CLIs can use it.
 */
import * as BUILT_IN from '../models/families';
import {
  depthProblemOf,
  depthRuleOf,
  depthsOfRule,
  nearestOfRule,
  type DepthRule,
  type FamilyDeclaration,
  type NamedFamily,
} from '../models/families/define';

export {
  BLOCK_TYPES,
  CIFAR_STAGES,
  IMAGENET_STAGES,
  MODEL_TYPES,
  type BlockType,
  type DepthCount,
  type DepthRule,
  type FamilyDeclaration,
  type ModelType,
  type NamedFamily,
} from '../models/families/define';

/** Each family's key in `families/index.ts` is its `model.name` (a mismatch does not compile). */
const CHECKED: { readonly [K in keyof typeof BUILT_IN]: { readonly name: K } } = BUILT_IN;

/** arXiv ids in publication order (`1512.03385` before `1603.05027`); families without a paper last, by name. */
function byPaper(a: NamedFamily, b: NamedFamily): number {
  const key = (f: NamedFamily): number[] => (f.section.arxiv ?? '9999.99999').split('.').map(Number);
  const [ka, kb] = [key(a), key(b)];
  return ka[0] - kb[0] || ka[1] - kb[1] || a.name.localeCompare(b.name);
}

/** The built-in families, in the order of the config reference (their papers'). */
export const FAMILIES = Object.fromEntries(
  Object.values(CHECKED as typeof BUILT_IN)
    .sort(byPaper)
    .map((f) => [f.name, f]),
) as typeof BUILT_IN;

/** Name of a built-in family (`model.name`). */
export type FamilyName = keyof typeof FAMILIES;
/** The config sections `model.<name>` of the built-in families. */
export type FamilySections = { [F in FamilyName]: (typeof FAMILIES)[F]['section'] };

const registry = new Map<string, NamedFamily>(Object.entries(FAMILIES));

/** The config sections of the built-in families, by name (the config tree's `model.<name>`). */
export function familySections(): FamilySections {
  return Object.fromEntries(Object.entries(FAMILIES).map(([name, d]) => [name, d.section])) as FamilySections;
}

/** The declaration of a family (built-in or registered), or undefined. */
export function findFamily(name: string): NamedFamily | undefined {
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
  registry.set(name, { ...declaration, name });
}

/** Removes a family that {@link addFamily} added; built-in families stay. */
export function removeFamily(name: string): void {
  if (!Object.prototype.hasOwnProperty.call(FAMILIES, name)) registry.delete(name);
}

/**
 * The cifar-type depth rule of a family and block type.
 * @param blockType `model.<family>.block_type`; undefined: the section's default
 * @returns undefined for an unknown family or block type, or a family without a depth (vgg)
 */
export function depthRule(family: string, blockType?: string): DepthRule | undefined {
  const d = findFamily(family);
  return d && depthRuleOf(d, blockType);
}

/**
 * Every depth the cifar type of a family builds, up to `limit`, ascending (none are skipped).
 * @param blockType `model.<family>.block_type`; undefined: the section's default
 * @returns [] for a family without a depth rule
 */
export function validDepths(family: string, blockType: string | undefined, limit: number): number[] {
  return depthsOfRule(depthRule(family, blockType), limit);
}

/**
 * The valid depths nearest to `depth`: `[depth]` when it fits, else the one below (when there is one)
 * and the one above, ascending; [] for a family without a depth rule.
 * @param blockType `model.<family>.block_type`; undefined: the section's default
 */
export function nearestDepths(family: string, blockType: string | undefined, depth: number): number[] {
  return nearestOfRule(depthRule(family, blockType), depth);
}

/**
 * Why `depth` does not fit the family's rule, as one line (the rule, its first valid depths without a
 * gap, and the nearest ones), or undefined when it fits, the family is unknown or has no depth rule:
 * `24 does not fit wrn: depth = 6n+4 (n >= 1 blocks per stage), i.e. 10, 16, 22, 28, 34, 40, ... in steps of 6; nearest 22 or 28`.
 */
export function depthProblem(family: string, blockType: string | undefined, depth: number): string | undefined {
  const d = findFamily(family);
  return d && depthProblemOf(d, blockType, depth);
}
