/**
 * Data reduction: a chart carries only the columns its spec names and the rows
 * its marks need, and never drops a group without saying so.
 *
 *   typed spec ─ aggregate views ────────── raw rows ─────────────────────────── inline
 *                (unit, facet + unit,        (all when ≤ maxPoints; else sampled   (data.values,
 *                 layer/concat children:      keeping every colour/shape/detail/    JSON-safe, a note
 *                 arquero computes them)      facet group, or CSVS_LIMIT_ROWS)      on the chart)
 */
import type { ColumnTable } from 'arquero';
import { ErrorCode, LimitError } from '../errors.js';
import { computeAggregation, planAggregation } from './aggregate.js';
import { expandRepeat } from './repeat.js';
import type { ChartSpec, Encoding, Row } from './types.js';
import { channelDefs, columnOf, encodingSites, facetDefs, fieldRefs, forEachView } from './walk.js';

/** The spec with its data inlined. */
export interface Reduced {
  spec: ChartSpec;
  /** Data rows carried, over all views. */
  rows: number;
  note?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const count = (n: number): string => new Intl.NumberFormat('en-US').format(n);
const childKeys = ['layer', 'hconcat', 'vconcat', 'concat'] as const;
const compositeMarks = new Set(['boxplot', 'errorbar', 'errorband']);
const aggregatingTransforms = [
  'aggregate',
  'joinaggregate',
  'window',
  'density',
  'quantile',
  'regression',
  'loess',
  'pivot',
];
const groupChannels = new Set(['color', 'fill', 'stroke', 'shape', 'detail', 'row', 'column', 'facet', 'strokeDash']);

/**
 * Inlines the table into a typed spec, aggregating with arquero where the spec
 * aggregates and sampling raw marks past `maxPoints` without losing a group.
 *
 * @param table - the table
 * @param spec - the user's spec with types filled in (see infer.ts)
 * @param maxPoints - most raw rows inlined
 */
export function reduceData(table: ColumnTable, spec: ChartSpec, maxPoints: number): Reduced {
  const { data: _data, ...rest } = spec;
  const out = structuredClone(rest) as ChartSpec;
  const total = table.numRows();
  const used = usedColumns(out, table);
  // A repeat shares one data set; written out as a concat, each view aggregates on its own.
  const view = total > maxPoints && out.repeat !== undefined ? (expandRepeat(out) ?? out) : out;
  const { raw, aggregatedRows } = aggregateViews(view, table);
  let rows = aggregatedRows;
  let note: string | undefined;
  if (raw.length > 0) {
    const picked = total <= maxPoints ? { indices: undefined, note: undefined } : sample(table, raw, maxPoints);
    const values = rowsOf(table, used, picked.indices);
    view.data = { values };
    rows += values.length;
    note = picked.note;
  }
  if (note === undefined && total > maxPoints && aggregatedRows > 0) {
    note = `aggregated ${count(total)} rows into ${count(aggregatedRows)} before drawing`;
  }
  if (rows > 1000) {
    // Vega labels every mark for screen readers: a third of the SVG of a large scatter plot.
    const config = isObject(view.config) ? view.config : {};
    if (config.aria === undefined) view.config = { ...config, aria: false };
  }
  const result: Reduced = {
    spec: withNote({ $schema: 'https://vega.github.io/schema/vega-lite/v5.json', ...view }, note),
    rows,
  };
  if (note !== undefined) result.note = note;
  return result;
}

/** The columns the spec names (all of them when an expression reads `datum` in a way not understood). */
function usedColumns(spec: ChartSpec, table: ColumnTable): string[] {
  const names = table.columnNames();
  const { refs, opaque } = fieldRefs(spec);
  if (opaque) return names;
  const wanted = new Set(refs.map((r) => columnOf(r.field)));
  return names.filter((n) => wanted.has(n));
}

/**
 * Aggregates each view that can be computed here (a unit, a facet of a unit,
 * and the units inside layer and concat views, each into its own data);
 * returns the views that still need raw rows (the top-level data), a layer's
 * encoding merged into its children, and how many aggregated rows were inlined.
 */
function aggregateViews(
  view: ChartSpec,
  table: ColumnTable,
  inherited?: Encoding,
): { raw: ChartSpec[]; aggregatedRows: number } {
  const plain = (v: ChartSpec) => !(Array.isArray(v.transform) && v.transform.length > 0);
  const raw = (v: ChartSpec) => ({ raw: [v], aggregatedRows: 0 });
  if (!plain(view)) return raw(inherited ? { ...view, encoding: { ...inherited, ...(view.encoding ?? {}) } } : view);
  if (view.mark !== undefined) {
    const encoding: Encoding = { ...(inherited ?? {}), ...(view.encoding ?? {}) };
    const done = aggregateUnit(table, view, encoding, []);
    if (!done) return raw(inherited ? { ...view, encoding } : view);
    view.encoding = done.encoding;
    view.data = { values: done.rows };
    return { raw: [], aggregatedRows: done.rows.length };
  }
  const inner = view.spec;
  if (view.facet !== undefined && isObject(inner) && inner.mark !== undefined && plain(inner)) {
    const facets = facetDefs(view, []).map((f) => f.def);
    const keys = facets.flatMap((d) => (typeof d.field === 'string' && !d.timeUnit && !d.bin ? [d.field] : []));
    const encoding = (inner.encoding ?? {}) as Encoding;
    const done = keys.length === facets.length ? aggregateUnit(table, inner, encoding, keys) : undefined;
    if (!done) return raw(view);
    inner.encoding = done.encoding;
    view.data = { values: done.rows };
    return { raw: [], aggregatedRows: done.rows.length };
  }
  const key = childKeys.find((k) => Array.isArray(view[k]));
  if (key === undefined) return raw(view);
  const passed = key === 'layer' ? { ...(inherited ?? {}), ...(view.encoding ?? {}) } : undefined;
  const out = { raw: [] as ChartSpec[], aggregatedRows: 0 };
  for (const child of view[key] as unknown[]) {
    // a view with data of its own does not draw the table
    if (!isObject(child) || child.data !== undefined) continue;
    const done = aggregateViews(child as ChartSpec, table, passed);
    out.raw.push(...done.raw);
    out.aggregatedRows += done.aggregatedRows;
  }
  if (key === 'layer' && out.raw.length === 0) delete view.encoding;
  return out;
}

function aggregateUnit(table: ColumnTable, view: ChartSpec, encoding: Encoding, keys: string[]) {
  const mark = typeof view.mark === 'string' ? view.mark : view.mark?.type;
  if (mark === undefined || compositeMarks.has(mark)) return undefined;
  const plan = planAggregation(encoding, table.columnNames(), keys);
  if (!plan) return undefined;
  const done = computeAggregation(table, encoding, plan);
  return { ...done, rows: done.rows.map(jsonRow) };
}

/** Whether a view computes from many rows (an aggregate, a composite mark, an aggregating transform). */
function aggregates(view: ChartSpec): boolean {
  let found = false;
  forEachView(view, (v) => {
    const mark = typeof v.mark === 'string' ? v.mark : v.mark?.type;
    if (mark !== undefined && compositeMarks.has(mark)) found = true;
    const transforms = Array.isArray(v.transform) ? v.transform : [];
    if (transforms.some((t) => isObject(t) && aggregatingTransforms.some((k) => k in t))) found = true;
  });
  for (const site of encodingSites(view)) {
    if (channelDefs(site).some(({ def }) => def.aggregate !== undefined)) found = true;
  }
  return found;
}

/** Rows kept past maxPoints: every group of a discrete colour/shape/detail/facet/position field keeps its share. */
function sample(table: ColumnTable, raw: ChartSpec[], maxPoints: number): { indices: number[]; note: string } {
  const total = table.numRows();
  if (raw.some(aggregates)) {
    throw new LimitError(
      ErrorCode.LIMIT_ROWS,
      `chart: ${count(total)} rows exceed maxPoints (${count(maxPoints)}), and this spec aggregates in a way csvsocket cannot compute before drawing (a transform, a composite mark or a repeat), so sampling would change its numbers. Aggregate the table with arquero first, or raise the limit: chart(table, spec, { maxPoints: ${Math.max(total, maxPoints * 2)} })`,
      { limit: maxPoints },
    );
  }
  const fields = groupFields(raw, table.columnNames());
  if (fields.length === 0) {
    const every = Math.ceil(total / maxPoints);
    const indices = rowIndices(table).filter((_, i) => i % every === 0);
    return {
      indices,
      note: `sampled ${count(indices.length)} of ${count(total)} rows (every ${ordinal(every)} row) for a readable chart`,
    };
  }
  const groups = (table.groupby(fields) as ColumnTable).groups() as unknown as { keys: Uint32Array; size: number };
  const names = fields.map((f) => JSON.stringify(f)).join(', ');
  if (groups.size > maxPoints) {
    throw new LimitError(
      ErrorCode.LIMIT_ROWS,
      `chart: ${count(total)} rows in ${count(groups.size)} groups of ${names} exceed maxPoints (${count(maxPoints)}): every group would not fit. Aggregate or filter the table, or raise the limit: chart(table, spec, { maxPoints: ${Math.max(total, groups.size)} })`,
      { limit: maxPoints },
    );
  }
  const order = rowIndices(table);
  const sizes = new Uint32Array(groups.size);
  for (const row of order) {
    const g = groups.keys[row] as number;
    sizes[g] = (sizes[g] as number) + 1;
  }
  const seen = new Uint32Array(groups.size);
  const indices = order.filter((row) => {
    const g = groups.keys[row] as number;
    const size = sizes[g] as number;
    const every = Math.ceil(size / Math.max(1, Math.floor((size * maxPoints) / total)));
    const nth = (seen[g] as number) + 1;
    seen[g] = nth;
    return nth % every === 1 % every;
  });
  return {
    indices,
    note: `sampled ${count(indices.length)} of ${count(total)} rows, keeping all ${count(groups.size)} groups of ${names}`,
  };
}

/** Fields of discrete channels (and of nominal/ordinal positions) in the raw views. */
function groupFields(raw: ChartSpec[], columns: string[]): string[] {
  const fields = new Set<string>();
  for (const view of raw) {
    for (const site of encodingSites(view)) {
      for (const { channel, def } of channelDefs(site)) {
        const discrete = def.type === 'nominal' || def.type === 'ordinal';
        if (
          typeof def.field === 'string' &&
          (groupChannels.has(channel) || discrete) &&
          (discrete || channel === 'detail')
        ) {
          fields.add(def.field);
        }
      }
    }
    forEachView(view, (v, path) => {
      for (const { def } of facetDefs(v, path)) if (typeof def.field === 'string') fields.add(def.field);
    });
  }
  return [...fields].filter((f) => columns.includes(f));
}

function rowIndices(table: ColumnTable): number[] {
  const indices: number[] = [];
  table.scan((row) => {
    indices.push(row as number);
  }, true);
  return indices;
}

/** The rows as plain JSON-safe objects (safe for any column name, `__proto__` included). */
function rowsOf(table: ColumnTable, names: string[], indices = rowIndices(table)): Row[] {
  const columns = names.map((name) => table.column(name));
  return indices.map((row) => Object.fromEntries(names.map((name, c) => [name, jsonValue(columns[c]?.at(row))])));
}

function jsonRow(row: Row): Row {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, jsonValue(v)]));
}

function jsonValue(v: unknown): unknown {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (typeof v === 'number' && !Number.isFinite(v)) return null;
  return v === undefined ? null : v;
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${count(n)}${suffix}`;
}

function withNote(spec: ChartSpec, note: string | undefined): ChartSpec {
  if (!note) return spec;
  const title = spec.title;
  if (title === undefined || title === '') {
    return { ...spec, title: { text: note, fontSize: 11, fontWeight: 'normal', color: '#666', anchor: 'start' } };
  }
  const t = typeof title === 'string' ? { text: title } : title;
  const subtitle = t.subtitle ? `${Array.isArray(t.subtitle) ? t.subtitle.join(' ') : t.subtitle} · ${note}` : note;
  return { ...spec, title: { ...t, subtitle } };
}
