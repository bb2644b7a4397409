/**
 * Spec checks, before anything is drawn: the arguments, the whole spec against
 * vega-lite's JSON schema, and every field it names against the table's
 * columns. Each problem names its path, the bad value and the nearest valid
 * ones; all of them are reported at once in one ArgumentError.
 */
import type { ColumnTable } from 'arquero';
import { ArgumentError, ErrorCode } from '../errors.js';
import { checkSchema, nearest, type SchemaIssue } from './schema.js';
import type { ChartSpec, RenderOptions } from './types.js';
import { columnOf, fieldRefs, type SpecPath } from './walk.js';

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function bad(message: string): ArgumentError {
  return new ArgumentError(ErrorCode.BAD_ARGUMENT, message);
}

/**
 * Checks the arguments of a chart call and the spec; throws one ArgumentError
 * (`CSVS_BAD_ARGUMENT`) listing every problem.
 *
 * @param table - should be an arquero table
 * @param spec - should be a vega-lite spec without data
 * @param options - render options
 * @param fn - the public function's name, for the message
 */
export function checkChart(table: unknown, spec: unknown, options: RenderOptions | undefined, fn: string): void {
  const t = table as Partial<ColumnTable> | null;
  if (!t || typeof t.numRows !== 'function' || typeof t.columnNames !== 'function') {
    throw bad(`${fn}(table, spec) expects an arquero table first, got ${t === null ? 'null' : typeof t}`);
  }
  if (!isObject(spec)) {
    throw bad(
      `${fn}(table, spec) expects a vega-lite spec object such as { mark: "bar", encoding: {…} }, got ${Array.isArray(spec) ? 'an array' : typeof spec}`,
    );
  }
  const views = ['mark', 'layer', 'hconcat', 'vconcat', 'concat', 'facet', 'repeat'];
  if (!views.some((key) => key in spec)) {
    throw bad(`${fn}: the spec has no "mark" (or layer/concat/facet/repeat); add e.g. mark: "bar"`);
  }
  const max = options?.maxPoints;
  if (max !== undefined && (!Number.isInteger(max) || max < 1)) {
    throw bad(`${fn}: maxPoints must be a whole number ≥ 1, got ${String(max)}`);
  }
  const problems = [
    ...schemaProblems(spec as ChartSpec),
    ...columnProblems(spec as ChartSpec, (table as ColumnTable).columnNames()),
  ];
  if (problems.length > 0) {
    const list = problems.length === 1 ? ` ${problems[0]}` : `\n${problems.map((p) => `  - ${p}`).join('\n')}`;
    throw bad(`${fn}: the spec is not valid vega-lite:${list}`);
  }
}

/**
 * A path as written in JavaScript: `layer[1].encoding.y.field`.
 *
 * @param path - path segments
 */
export function pathText(path: SpecPath): string {
  if (path.length === 0) return 'the spec';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

const show = (v: unknown): string => {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
};

const quoteList = (values: readonly string[], max = 12): string => {
  const shown = values.slice(0, max).map((v) => JSON.stringify(v));
  return values.length > max ? `${shown.join(', ')}, … (${values.length - max} more)` : shown.join(', ');
};

function didYouMean(value: unknown, allowed: readonly string[]): string {
  if (typeof value !== 'string') return '';
  const near = nearest(value, allowed);
  return near.length > 0 ? ` — did you mean ${near.map((n) => JSON.stringify(n)).join(' or ')}?` : '';
}

function schemaProblems(spec: ChartSpec): string[] {
  // The table is the data; a spec's own `data` is replaced and need not be valid.
  const { data: _data, ...rest } = spec;
  return checkSchema({ ...rest, data: { values: [] } }).map(describeIssue);
}

function describeIssue(i: SchemaIssue): string {
  const at = pathText(i.path);
  if (i.kind === 'required') return `${at} needs "${String(i.value)}"`;
  if (i.kind === 'property') {
    return `${at}: "${String(i.value)}" is not a vega-lite property here${didYouMean(i.value, i.allowed)}`;
  }
  if (i.allowed.length > 0) {
    const also = i.types.filter((t) => t !== 'null');
    const or = also.length > 0 ? ` (or ${also.map((t) => (t === 'object' ? 'an object' : `a ${t}`)).join(', ')})` : '';
    return `${at}: ${show(i.value)} is not one of ${quoteList(i.allowed)}${or}${didYouMean(i.value, i.allowed)}`;
  }
  if (i.types.length > 0) return `${at}: ${show(i.value)} should be of type ${i.types.join(' or ')}`;
  return `${at}: ${show(i.value)} is out of range`;
}

function columnProblems(spec: ChartSpec, columns: string[]): string[] {
  const known = new Set(columns);
  const problems: string[] = [];
  for (const ref of fieldRefs(spec).refs) {
    if (ref.open || ref.derived.has(ref.field) || known.has(columnOf(ref.field))) continue;
    const at = pathText(ref.path);
    if (known.has(ref.field)) {
      const escaped = ref.field.replace(/[.[\]]/g, (c) => `\\${c}`);
      problems.push(
        `${at}: write the column "${ref.field}" as ${JSON.stringify(escaped)} (a dot reads a nested value)`,
      );
      continue;
    }
    const candidates = [...columns, ...ref.derived];
    const near = nearest(ref.field, candidates);
    const hint = near.length > 0 ? ` — did you mean ${near.map((n) => JSON.stringify(n)).join(' or ')}? The` : '; the';
    problems.push(`${at}: ${JSON.stringify(ref.field)} is not a column${hint} columns are ${quoteList(columns, 20)}`);
  }
  return problems;
}
