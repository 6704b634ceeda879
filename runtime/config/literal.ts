/**
 * Parsing of value tokens the way the original (yacs) does with Python's `ast.literal_eval`, plus
 * YAML's spellings: `True`/`true`, `None`/`null`, `[a, b]`, `(a, b)`, `1e-4`, `-3`, quoted strings.
 * Values keep their literal kind (int vs float, list vs tuple) so the type checks can be strict.
 */

/** A parsed literal. */
export type Literal =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'str'; value: string }
  | { kind: 'none' }
  | { kind: 'list'; items: Literal[]; tuple: boolean };

const INT_RE = /^[-+]?(?:0[xX][0-9a-fA-F](?:_?[0-9a-fA-F])*|0[oO][0-7](?:_?[0-7])*|0[bB][01](?:_?[01])*|\d(?:_?\d)*)$/;
const FLOAT_RE = /^[-+]?(?:(?:\d(?:_?\d)*)?\.\d(?:_?\d)*(?:[eE][-+]?\d+)?|\d(?:_?\d)*\.(?:[eE][-+]?\d+)?|\d(?:_?\d)*[eE][-+]?\d+)$/;
const SPECIAL_FLOAT_RE = /^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$/;

/** Parses a number token (`12`, `-3`, `0x1f`, `1e-4`, `.5`, `2.`, YAML `.inf`), or undefined. */
export function parseNumber(token: string): Literal | undefined {
  if (INT_RE.test(token)) {
    const sign = token.startsWith('-') ? -1 : 1;
    const body = token.replace(/^[-+]/, '').replace(/_/g, '');
    const value = /^0[xXoObB]/.test(body) ? Number(body) : Number.parseInt(body, 10);
    return { kind: 'int', value: sign * value };
  }
  if (FLOAT_RE.test(token)) return { kind: 'float', value: Number(token.replace(/_/g, '')) };
  if (SPECIAL_FLOAT_RE.test(token)) {
    if (/nan/i.test(token)) return { kind: 'float', value: Number.NaN };
    return { kind: 'float', value: token.startsWith('-') ? -Infinity : Infinity };
  }
  return undefined;
}

const WORDS: Record<string, Literal> = {
  True: { kind: 'bool', value: true },
  False: { kind: 'bool', value: false },
  true: { kind: 'bool', value: true },
  false: { kind: 'bool', value: false },
  TRUE: { kind: 'bool', value: true },
  FALSE: { kind: 'bool', value: false },
  None: { kind: 'none' },
  null: { kind: 'none' },
  Null: { kind: 'none' },
  NULL: { kind: 'none' },
  '~': { kind: 'none' },
};

class Parser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parseAll(): Literal | undefined {
    const v = this.value();
    this.ws();
    return v !== undefined && this.pos === this.text.length ? v : undefined;
  }

  private ws(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  private value(): Literal | undefined {
    this.ws();
    const c = this.text[this.pos];
    if (c === '[') return this.seq(']', false);
    if (c === '(') return this.seq(')', true);
    if (c === "'" || c === '"') return this.quoted(c);
    const m = /^[^\s,\[\]()'"]+/.exec(this.text.slice(this.pos));
    if (!m) return undefined;
    const word = m[0];
    const lit = WORDS[word] ?? parseNumber(word);
    if (lit) this.pos += word.length;
    return lit;
  }

  private seq(close: string, tuple: boolean): Literal | undefined {
    this.pos++;
    const items: Literal[] = [];
    let sawComma = false;
    for (;;) {
      this.ws();
      if (this.text[this.pos] === close) {
        this.pos++;
        break;
      }
      const v = this.value();
      if (v === undefined) return undefined;
      items.push(v);
      this.ws();
      if (this.text[this.pos] === ',') {
        this.pos++;
        sawComma = true;
      } else if (this.text[this.pos] !== close) {
        return undefined;
      }
    }
    // Python: `(x)` is x itself, `(x,)` a one-tuple, `()` the empty tuple.
    if (tuple && items.length === 1 && !sawComma) return items[0];
    return { kind: 'list', items, tuple };
  }

  private quoted(q: string): Literal | undefined {
    let out = '';
    this.pos++;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos++];
      if (c === q) return { kind: 'str', value: out };
      if (c === '\\' && this.pos < this.text.length) {
        const e = this.text[this.pos++];
        out += e === 'n' ? '\n' : e === 't' ? '\t' : e;
      } else {
        out += c;
      }
    }
    return undefined;
  }
}

/**
 * Parses a token like Python's `literal_eval` (also accepting YAML's `true`/`false`/`null`).
 * @returns the literal, or undefined when the token is not a literal (the caller then keeps it as a string).
 */
export function parseLiteral(token: string): Literal | undefined {
  return new Parser(token).parseAll();
}

/** Parses a token, falling back to the token itself as a string (yacs' rule). */
export function parseToken(token: string): Literal {
  return parseLiteral(token) ?? { kind: 'str', value: token };
}

/** Formats a literal for messages, in YAML/Python-like syntax. */
export function formatLiteral(lit: Literal): string {
  switch (lit.kind) {
    case 'int':
    case 'float':
      return String(lit.value);
    case 'bool':
      return lit.value ? 'true' : 'false';
    case 'str':
      return `'${lit.value}'`;
    case 'none':
      return 'null';
    case 'list': {
      const inner = lit.items.map(formatLiteral).join(', ');
      return lit.tuple ? `(${inner})` : `[${inner}]`;
    }
  }
}

/** Describes the kind of a literal for messages: `an int`, `a float`, `a list`, ... */
export function describeKind(lit: Literal): string {
  switch (lit.kind) {
    case 'int':
      return 'an int';
    case 'float':
      return 'a float';
    case 'bool':
      return 'a bool';
    case 'str':
      return 'a string';
    case 'none':
      return 'null';
    case 'list':
      return lit.tuple ? 'a tuple' : 'a list';
  }
}
