/**
 * Building blocks of the config tree: leaf and section descriptors, and the type-level mapping from
 * a tree to the plain `Config` object it describes (so the two cannot drift apart).
 */

/** Value type of a leaf, as written in YAML or on the command line. */
export type LeafType = 'int' | 'float' | 'bool' | 'str' | 'int[]' | 'float[]' | 'bool[]';

/** TypeScript value type of a leaf type. */
export type ValueOf<T extends LeafType> = T extends 'int' | 'float'
  ? number
  : T extends 'bool'
    ? boolean
    : T extends 'str'
      ? string
      : T extends 'bool[]'
        ? boolean[]
        : number[];

/** Options of a leaf besides its type, default and description. */
export interface LeafOptions {
  /** Enumerated allowed values (string leaves). */
  readonly allowed?: readonly string[];
  /** Allowed list lengths (list leaves); absent = any length. */
  readonly lengths?: readonly number[];
  /** Smallest allowed value (numbers, and the items of number lists). */
  readonly minimum?: number;
  /** Largest allowed value (numbers, and the items of number lists). */
  readonly maximum?: number;
  /** Values must be strictly below this. */
  readonly exclusiveMaximum?: number;
  /** arXiv id of the paper the key comes from, e.g. `1708.04552`. */
  readonly arxiv?: string;
  /** The original wrote this list as a Python tuple, e.g. `(0.9, 0.999)`. */
  readonly tuple?: boolean;
  /** How this key differs from the original framework (documented in docs/config.md). */
  readonly note?: string;
  /**
   * Compatibility only: the key is accepted so that the original's YAML files load, but nothing
   * here reads it. The text is the one-line warning printed once when it is set to a value other
   * than its default, e.g. `has no effect: ...` (the key's path is put in front).
   */
  readonly compat?: string;
}

/** A leaf of the config tree: one YAML key with a value. */
export interface LeafSpec<T extends LeafType = LeafType> extends LeafOptions {
  readonly kind: 'leaf';
  readonly type: T;
  readonly default: ValueOf<T>;
  /** One-line description. */
  readonly description: string;
}

/** A section of the config tree: a YAML mapping of leaves and sub-sections. */
export interface SectionSpec<C extends Record<string, ConfigNodeSpec> = Record<string, ConfigNodeSpec>> {
  readonly kind: 'section';
  /** One-line description. */
  readonly description: string;
  /** arXiv id of the paper the whole section comes from; leaves inherit it. */
  readonly arxiv?: string;
  readonly children: C;
}

/** A node of the config tree. */
export type ConfigNodeSpec = LeafSpec | SectionSpec;

/** The plain object described by a section (snake_case keys, exactly as in YAML). */
export type ConfigOf<S extends SectionSpec> = {
  -readonly [K in keyof S['children']]: S['children'][K] extends LeafSpec<infer T>
    ? ValueOf<T>
    : S['children'][K] extends SectionSpec
      ? ConfigOf<S['children'][K]>
      : never;
};

function leaf<T extends LeafType>(type: T, def: ValueOf<T>, description: string, opts: LeafOptions = {}): LeafSpec<T> {
  return { kind: 'leaf', type, default: def, description, ...opts };
}

/** An integer leaf. */
export const int = (def: number, description: string, opts?: LeafOptions): LeafSpec<'int'> => leaf('int', def, description, opts);
/** A float leaf (an integer is accepted as a value). */
export const float = (def: number, description: string, opts?: LeafOptions): LeafSpec<'float'> => leaf('float', def, description, opts);
/** A boolean leaf. */
export const bool = (def: boolean, description: string, opts?: LeafOptions): LeafSpec<'bool'> => leaf('bool', def, description, opts);
/** A string leaf. */
export const str = (def: string, description: string, opts?: LeafOptions): LeafSpec<'str'> => leaf('str', def, description, opts);
/** A list-of-integers leaf. */
export const ints = (def: number[], description: string, opts?: LeafOptions): LeafSpec<'int[]'> => leaf('int[]', def, description, opts);
/** A list-of-floats leaf. */
export const floats = (def: number[], description: string, opts?: LeafOptions): LeafSpec<'float[]'> => leaf('float[]', def, description, opts);
/** A list-of-booleans leaf. */
export const bools = (def: boolean[], description: string, opts?: LeafOptions): LeafSpec<'bool[]'> => leaf('bool[]', def, description, opts);

/** A section. */
export function section<C extends Record<string, ConfigNodeSpec>>(description: string, children: C, arxiv?: string): SectionSpec<C> {
  return arxiv === undefined ? { kind: 'section', description, children } : { kind: 'section', description, arxiv, children };
}

/** A leaf with its dotted path and the arXiv id it carries or inherits from its section. */
export interface LeafEntry {
  /** Dotted key, e.g. `train.batch_size`. */
  readonly path: string;
  readonly spec: LeafSpec;
  /** The leaf's own arXiv id, or the nearest section's. */
  readonly arxiv?: string;
}

/** A section with its dotted path (`''` for the root). */
export interface SectionEntry {
  readonly path: string;
  readonly spec: SectionSpec;
  readonly arxiv?: string;
}
