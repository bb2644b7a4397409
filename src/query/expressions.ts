/**
 * The CLI's query syntax (`--filter "age >= 22"`, `--sort grade,-age`,
 * `--rollup n=count,avg=mean(age)`) parsed into the same `Query` data any
 * other client sends, so the CLI has no query powers of its own.
 */

import { ArgumentError, ErrorCode } from '../errors.js';
import { Aggregate, type Filter, type Rollup, type SortKey } from './types.js';

const FILTER_HELP =
  'accepted forms: COLUMN = VALUE, COLUMN != VALUE, COLUMN < | <= | > | >= VALUE, ' +
  'COLUMN ~ TEXT (contains), COLUMN ^= TEXT (starts with), COLUMN $= TEXT (ends with), ' +
  'COLUMN in A|B|C, COLUMN is null, COLUMN not null; quote a column or value with "…" or \'…\' ' +
  'to keep spaces, operators or | (backslash escapes a quote inside quotes)';

class Cursor {
  i = 0;
  constructor(readonly s: string) {}
  skipSpace(): void {
    while (this.i < this.s.length && /\s/.test(this.s.charAt(this.i))) this.i++;
  }
  done(): boolean {
    return this.i >= this.s.length;
  }
  peek(): string {
    return this.s.charAt(this.i);
  }
  /** A quoted string starting at the cursor, or undefined when none starts here. */
  quoted(fail: (why: string) => Error): string | undefined {
    const q = this.peek();
    if (q !== '"' && q !== "'") return undefined;
    let out = '';
    for (let j = this.i + 1; j < this.s.length; j++) {
      const c = this.s.charAt(j);
      if (c === '\\' && j + 1 < this.s.length) out += this.s.charAt(++j);
      else if (c === q) {
        this.i = j + 1;
        return out;
      } else out += c;
    }
    throw fail(`unterminated ${q} quote`);
  }
  /** Characters up to (not including) any of `stops`, trimmed. */
  until(stops: RegExp): string {
    const start = this.i;
    while (this.i < this.s.length && !stops.test(this.s.charAt(this.i))) this.i++;
    return this.s.slice(start, this.i).trim();
  }
}

const SYMBOL_OPS: ReadonlyArray<[string, Filter extends infer F ? (F extends { op: infer O } ? O : never) : never]> = [
  ['<=', '<='],
  ['>=', '>='],
  ['!=', '!='],
  ['^=', 'startsWith'],
  ['$=', 'endsWith'],
  ['==', '='],
  ['=', '='],
  ['<', '<'],
  ['>', '>'],
  ['~', 'contains'],
];

/**
 * Parse the CLI's filter syntax into a {@link Filter} leaf. Values stay strings;
 * {@link runQuery} gives them the column's type.
 *
 * Forms: `grade = A`, `age >= 22` (also `<`, `<=`, `>`, `!=`), `name ~ flo`
 * (contains), `name ^= Flo` (starts with), `name $= sh` (ends with),
 * `grade in A|B`, `age is null`, `age not null` (or `is not null`). Quote a
 * column or value with `"…"` or `'…'` to keep spaces, operators or `|`.
 *
 * @param text - the expression, e.g. from `--filter`
 * @returns the filter
 * @throws ArgumentError `CSVS_BAD_ARGUMENT` with the accepted forms
 * @example
 * ```ts
 * parseFilterExpression('age >= 22')         // { column: 'age', op: '>=', value: '22' }
 * parseFilterExpression('name = "Mary Ann"') // { column: 'name', op: '=', value: 'Mary Ann' }
 * ```
 */
export function parseFilterExpression(text: string): Filter {
  const fail = (why: string): ArgumentError =>
    new ArgumentError(ErrorCode.BAD_ARGUMENT, `Cannot parse filter ${JSON.stringify(text)}: ${why}; ${FILTER_HELP}`);
  if (typeof text !== 'string') throw fail('expected a string');
  const c = new Cursor(text);
  c.skipSpace();
  const column = c.quoted(fail) ?? c.until(/[\s=!<>~^$]/);
  if (column === '') throw fail('missing column name');
  c.skipSpace();
  const rest = text.slice(c.i);
  const word = /^(is\s+not\s+null|is\s+null|not\s+null|in)(?=\s|$)/i.exec(rest);
  let op: string | undefined;
  if (word !== null) {
    const w = (word[1] as string).toLowerCase().replace(/\s+/g, ' ');
    c.i += (word[0] as string).length;
    if (w !== 'in') {
      c.skipSpace();
      if (!c.done()) throw fail(`unexpected ${JSON.stringify(text.slice(c.i))} after "${w}"`);
      return { column, op: w === 'is null' ? 'isNull' : 'notNull' };
    }
    op = 'in';
  } else {
    const sym = SYMBOL_OPS.find(([s]) => rest.startsWith(s));
    if (sym === undefined) throw fail(rest === '' ? 'missing operator' : `unknown operator at ${JSON.stringify(rest)}`);
    c.i += sym[0].length;
    op = sym[1];
  }
  c.skipSpace();
  const value = (stops: RegExp): string => {
    const q = c.quoted(fail);
    if (q !== undefined) return q;
    const v = c.until(stops);
    if (v === '') throw fail('missing value (use "" for an empty string)');
    return v;
  };
  if (op === 'in') {
    const values: string[] = [];
    for (;;) {
      c.skipSpace();
      values.push(value(/\|/));
      c.skipSpace();
      if (c.done()) break;
      if (c.peek() !== '|') throw fail(`unexpected ${JSON.stringify(text.slice(c.i))} in the "in" list`);
      c.i++;
    }
    return { column, op: 'in', value: values };
  }
  const v = value(/$^/);
  c.skipSpace();
  if (!c.done()) throw fail(`unexpected ${JSON.stringify(text.slice(c.i))} after the quoted value`);
  return { column, op, value: v } as Filter;
}

/** Split on commas outside quotes; each part keeps its quotes. */
function splitList(text: string, fail: (why: string) => Error): string[] {
  const parts: string[] = [];
  let quote = '';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    if (quote !== '') {
      if (ch === '\\') i++;
      else if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === ',') {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (quote !== '') throw fail(`unterminated ${quote} quote`);
  parts.push(text.slice(start));
  return parts.map((p) => p.trim());
}

/** A whole part that is a column name, quoted or bare. */
function nameOf(part: string, fail: (why: string) => Error): string {
  const c = new Cursor(part.trim());
  const q = c.quoted(fail);
  if (q !== undefined) {
    c.skipSpace();
    if (!c.done()) throw fail(`unexpected ${JSON.stringify(part.slice(c.i))} after a quoted name`);
    return q;
  }
  if (part.trim() === '') throw fail('empty column name');
  return part.trim();
}

/**
 * Parse the CLI's sort syntax: comma-separated columns, `-` before a column
 * for descending (`+` is accepted for ascending). Quote a name that contains
 * a comma or starts with `-`.
 *
 * @param text - e.g. `grade,-age`
 * @returns the sort keys, most significant first
 * @throws ArgumentError `CSVS_BAD_ARGUMENT` on an empty key or bad quoting
 * @example
 * ```ts
 * parseSortExpression('grade,-age') // [{ column: 'grade' }, { column: 'age', desc: true }]
 * ```
 */
export function parseSortExpression(text: string): SortKey[] {
  const fail = (why: string): ArgumentError =>
    new ArgumentError(
      ErrorCode.BAD_ARGUMENT,
      `Cannot parse sort ${JSON.stringify(text)}: ${why}; expected COLUMN[,-COLUMN…] (a leading - sorts descending; quote names with "…")`,
    );
  if (typeof text !== 'string') throw fail('expected a string');
  return splitList(text, fail).map((part) => {
    const sign = part.charAt(0);
    const desc = sign === '-';
    const name = nameOf(sign === '-' || sign === '+' ? part.slice(1) : part, fail);
    return desc ? { column: name, desc: true } : { column: name };
  });
}

/**
 * Parse the CLI's rollup syntax: comma-separated `[NAME=]OP[(COLUMN)]`.
 * Without a name the output is `count` for `count`, and `OP_COLUMN`
 * (e.g. `mean_age`) otherwise.
 *
 * @param text - e.g. `count`, `mean(age)`, `n=count,avg=mean(age)`
 * @returns output column name → aggregate
 * @throws ArgumentError `CSVS_BAD_ARGUMENT` on an unknown function, a missing
 *   column or a repeated output name
 * @example
 * ```ts
 * parseRollupExpression('n=count,avg=mean(age)') // { n: { op: 'count' }, avg: { op: 'mean', column: 'age' } }
 * ```
 */
export function parseRollupExpression(text: string): Record<string, Rollup> {
  const ops = Object.values(Aggregate) as string[];
  const fail = (why: string): ArgumentError =>
    new ArgumentError(
      ErrorCode.BAD_ARGUMENT,
      `Cannot parse rollup ${JSON.stringify(text)}: ${why}; expected [NAME=]FUNCTION[(COLUMN)], comma-separated, with FUNCTION one of ${ops.join(', ')} (only count may omit the column)`,
    );
  if (typeof text !== 'string') throw fail('expected a string');
  const out: Record<string, Rollup> = {};
  for (const part of splitList(text, fail)) {
    const m = /^(?:([^=()]+?)\s*=\s*)?([A-Za-z]+)\s*(?:\((.*)\))?$/s.exec(part);
    if (m === null) throw fail(`cannot read ${JSON.stringify(part)}`);
    const [, given, fn = '', arg] = m;
    const op = fn.toLowerCase();
    if (!ops.includes(op)) throw fail(`unknown function ${JSON.stringify(fn)}`);
    const column = arg === undefined ? undefined : nameOf(arg, fail);
    if (column === undefined && op !== 'count') throw fail(`${op} needs a column, as in ${op}(age)`);
    const name = given !== undefined ? nameOf(given, fail) : column === undefined ? op : `${op}_${column}`;
    if (name === '__proto__') throw fail('the output name "__proto__" is not allowed');
    if (Object.hasOwn(out, name))
      throw fail(`output name ${JSON.stringify(name)} appears twice; name them, as in n=count`);
    const r: Rollup = column === undefined ? { op: op as Aggregate } : { op: op as Aggregate, column };
    Object.defineProperty(out, name, { value: r, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
