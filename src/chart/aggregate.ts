/**
 * A view's aggregation computed with arquero on the whole table, so a chart
 * carries what its marks draw (20 bins, not 1M rows) and vega-lite plots the
 * result as is.
 *
 *   encoding ─ plan ──────────────── compute ─────────────────────── rewrite
 *              (keys, bins, time      (op.bin · op.datetime ·           (channels read the
 *               units, aggregates;     groupby · rollup, on columns     computed fields, titles
 *               undefined if vega-lite renamed c0, c1, …)                kept)
 *               does something else)
 *
 * Expressions reach arquero as strings (it compiles them), so they are built
 * only from fixed fragments and internal names (`c0`, `a0`): no column name,
 * which may come from a student's CSV, is ever part of one.
 */
import type { ColumnTable } from 'arquero';
import type { ChannelDef, Encoding, Row } from './types.js';
import { channelDefs } from './walk.js';

/** Vega-lite aggregate → arquero op call on column `c` (`$` stands for the column). */
const ops: Record<string, string> = {
  count: 'op.count()',
  valid: 'op.valid($)',
  missing: 'op.invalid($)',
  distinct: 'op.distinct($)',
  sum: 'op.sum($)',
  product: 'op.product($)',
  // op.mean keeps a running mean (4 comes out as 3.9999999999999893); a sum over the count is exact for whole numbers.
  mean: 'op.sum($) / op.valid($)',
  average: 'op.sum($) / op.valid($)',
  median: 'op.median($)',
  q1: 'op.quantile($, 0.25)',
  q3: 'op.quantile($, 0.75)',
  min: 'op.min($)',
  max: 'op.max($)',
  variance: 'op.variance($)',
  variancep: 'op.variancep($)',
  stdev: 'op.stdev($)',
  stdevp: 'op.stdevp($)',
};
const titles: Record<string, string> = { average: 'mean', q1: 'Q1', q3: 'Q3' };

/** Local time units made of calendar parts, as arquero computes them (vega-lite's default units are local too). */
const unitParts = ['year', 'quarter', 'month', 'date', 'hours', 'minutes', 'seconds', 'milliseconds'] as const;

interface Key {
  def: ChannelDef;
  field: string;
  unit?: string;
}
interface Bin {
  channel: 'x' | 'y';
  def: ChannelDef;
  field: string;
  maxbins: number;
  step?: number;
}
interface Agg {
  channel: string;
  index: number | undefined;
  def: ChannelDef;
  field: string | undefined;
  op: string;
  name: string;
}

/** What a view's encoding asks to aggregate. */
export interface Plan {
  keys: Key[];
  bins: Bin[];
  aggs: Agg[];
}

/**
 * The aggregation a view's encoding asks for, or undefined when it draws raw
 * rows or uses something computed here differently from vega-lite (conditions,
 * sorts by a field, UTC or week units, bin options other than maxbins/step).
 *
 * @param encoding - the view's encoding (a layer's parent encoding merged in)
 * @param columns - the table's columns
 * @param extraKeys - fields grouped by outside the encoding (a facet operator's)
 */
export function planAggregation(
  encoding: Encoding,
  columns: readonly string[],
  extraKeys: string[] = [],
): Plan | undefined {
  const plan: Plan = { keys: extraKeys.map((field) => ({ def: { field }, field })), bins: [], aggs: [] };
  const has = (f: unknown): f is string => typeof f === 'string' && columns.includes(f);
  for (const { channel, def, path } of channelDefs({ encoding, path: [], repeat: [] })) {
    const sort = def.sort as { field?: unknown; op?: unknown } | null | undefined;
    // a sort by another field reads raw rows; a sort by a channel ({ encoding: "y" }) reads the result
    if (
      def.condition !== undefined ||
      (sort && typeof sort === 'object' && (sort.field !== undefined || sort.op !== undefined))
    ) {
      return undefined;
    }
    if (def.aggregate !== undefined) {
      const op = def.aggregate;
      if (typeof op !== 'string' || !(op in ops) || def.bin || def.timeUnit) return undefined;
      if (def.field !== undefined && !has(def.field)) return undefined;
      if (def.field === undefined && op !== 'count') return undefined;
      const index = typeof path[1] === 'number' ? path[1] : undefined;
      const name = `__${op}_${channel}${index === undefined ? '' : `_${index}`}`;
      plan.aggs.push({ channel, index, def, field: def.field as string | undefined, op, name });
    } else if (def.bin !== undefined && def.bin !== false && def.bin !== null) {
      const bin = planBin(channel, def, encoding);
      if (!bin || !has(def.field)) return undefined;
      plan.bins.push(bin);
    } else if (def.field !== undefined) {
      if (!has(def.field)) return undefined;
      const key: Key = { def, field: def.field };
      if (def.timeUnit !== undefined) {
        if (typeof def.timeUnit !== 'string' || !unitOf(def.timeUnit)) return undefined;
        key.unit = def.timeUnit;
      }
      plan.keys.push(key);
    }
  }
  const fields = plan.keys.map((k) => k.field);
  const clash = plan.keys.some(
    (k, i) => fields.indexOf(k.field) !== i && k.unit !== plan.keys[fields.indexOf(k.field)]?.unit,
  );
  return plan.aggs.length > 0 && !clash ? plan : undefined;
}

function planBin(channel: string, def: ChannelDef, encoding: Encoding): Bin | undefined {
  const partner = channel === 'x' ? 'x2' : channel === 'y' ? 'y2' : undefined;
  if (partner === undefined || encoding[partner] !== undefined || typeof def.field !== 'string') return undefined;
  const options = def.bin === true ? {} : def.bin;
  if (!options || typeof options !== 'object') return undefined;
  const { maxbins, step, ...rest } = options as { maxbins?: unknown; step?: unknown };
  if (Object.keys(rest).length > 0) return undefined;
  if (maxbins !== undefined && typeof maxbins !== 'number') return undefined;
  if (step !== undefined && (typeof step !== 'number' || !(step > 0))) return undefined;
  const bin: Bin = { channel: channel as 'x' | 'y', def, field: def.field, maxbins: maxbins ?? 10 };
  if (typeof step === 'number') bin.step = step;
  return bin;
}

/** The parts of a local time unit ("yearmonth" → year, month), or undefined for units computed otherwise. */
function unitOf(unit: string): Set<string> | undefined {
  let rest = unit;
  const parts = new Set<string>();
  for (const part of unitParts) {
    if (rest.startsWith(part)) {
      parts.add(part);
      rest = rest.slice(part.length);
    }
  }
  return rest === '' && parts.size > 0 ? parts : undefined;
}

/** The expression truncating column `c` to a time unit: a local date like vega-lite's (2012 when there is no year). */
function unitExpression(unit: string, c: string): string {
  const parts = unitOf(unit) ?? new Set<string>();
  const part = (name: string, fallback: string) => (parts.has(name) ? `op.${name}(d.${c})` : fallback);
  const month = parts.has('month') ? `op.month(d.${c})` : parts.has('quarter') ? `op.quarter(d.${c}) * 3` : '0';
  const args = [
    part('year', '2012'),
    month,
    part('date', '1'),
    part('hours', '0'),
    part('minutes', '0'),
    part('seconds', '0'),
    part('milliseconds', '0'),
  ];
  return `d => d.${c} == null ? null : op.datetime(${args.join(', ')})`;
}

/** Vega's bin step: a power of ten divided by 5 or 2, so that at most `maxbins` bins span [min, max]. */
export function binning(min: number, max: number, maxbins: number): { start: number; stop: number; step: number } {
  const span = max - min || Math.abs(min) || 1;
  let step = 10 ** Math.ceil(Math.log10(span / maxbins));
  for (const div of [5, 2]) {
    if (Math.ceil(span / (step / div)) <= maxbins) {
      step /= div;
      break;
    }
  }
  const start = Math.floor(min / step) * step;
  let stop = Math.ceil(max / step) * step;
  if (stop <= max) stop += step;
  return { start, stop, step };
}

/** The result of {@link computeAggregation}: rows named as the rewritten encoding reads them. */
export interface Aggregated {
  rows: Row[];
  encoding: Encoding;
}

/**
 * Computes a plan on the table with arquero and rewrites the encoding to plot it.
 *
 * @param table - the table
 * @param encoding - the view's encoding the plan came from
 * @param plan - from {@link planAggregation}
 */
export function computeAggregation(table: ColumnTable, encoding: Encoding, plan: Plan): Aggregated {
  const fields = [...new Set([...plan.keys, ...plan.bins, ...plan.aggs].flatMap((p) => (p.field ? [p.field] : [])))];
  const internal = new Map(fields.map((f, i) => [f, `c${i}`]));
  const c = (field: string) => internal.get(field) as string;
  let t = table.select(Object.fromEntries(fields.map((f) => [f, c(f)]))) as ColumnTable;
  const derive: Record<string, string> = {};
  const params: Record<string, number> = {};
  const steps: number[] = [];
  plan.bins.forEach((b, i) => {
    const extent = t.rollup({ lo: `op.min(d.${c(b.field)})`, hi: `op.max(d.${c(b.field)})` }).object() as Row;
    const lo = typeof extent.lo === 'number' && Number.isFinite(extent.lo) ? extent.lo : 0;
    const hi = typeof extent.hi === 'number' && Number.isFinite(extent.hi) ? extent.hi : lo;
    const nice = binning(lo, hi, b.maxbins);
    const step = b.step ?? nice.step;
    const start = b.step === undefined ? nice.start : Math.floor(lo / step) * step;
    Object.assign(params, {
      [`s${i}`]: start,
      [`e${i}`]: start + step * (Math.floor((hi - start) / step) + 1),
      [`w${i}`]: step,
    });
    steps.push(step);
    derive[`b${i}`] = `(d, $) => op.bin(d.${c(b.field)}, $.s${i}, $.e${i}, $.w${i})`;
  });
  plan.keys.forEach((k, i) => {
    derive[`k${i}`] = k.unit ? unitExpression(k.unit, c(k.field)) : `d => d.${c(k.field)}`;
  });
  if (Object.keys(derive).length > 0) t = t.params(params).derive(derive) as ColumnTable;
  // vega-lite drops rows whose binned value is missing or not finite.
  for (let i = 0; i < plan.bins.length; i++) t = t.filter(`d => op.is_finite(d.b${i})`) as ColumnTable;
  const groups = [...plan.keys.map((_, i) => `k${i}`), ...plan.bins.map((_, i) => `b${i}`)];
  const rollup = Object.fromEntries(
    plan.aggs.map((a, i) => [`a${i}`, (ops[a.op] as string).replaceAll('$', a.field ? `d.${c(a.field)}` : '')]),
  );
  const result = (groups.length > 0 ? t.groupby(groups) : t).rollup(rollup) as ColumnTable;
  return { rows: rowsOf(result, plan, steps), encoding: rewrite(encoding, plan, steps) };
}

function rowsOf(result: ColumnTable, plan: Plan, steps: number[]): Row[] {
  const columns = [
    ...plan.keys.map((k, i) => [k.field, result.column(`k${i}`)] as const),
    ...plan.bins.map((b, i) => [`__bin_${b.channel}`, result.column(`b${i}`)] as const),
    ...plan.aggs.map((a, i) => [a.name, result.column(`a${i}`)] as const),
  ];
  const rows: Row[] = [];
  for (let r = 0; r < result.numRows(); r++) {
    const row = Object.fromEntries(columns.map(([name, column]) => [name, column?.at(r) ?? null]));
    plan.bins.forEach((b, i) => {
      row[`__bin_end_${b.channel}`] = (row[`__bin_${b.channel}`] as number) + (steps[i] as number);
    });
    rows.push(row);
  }
  return rows;
}

function rewrite(encoding: Encoding, plan: Plan, steps: number[]): Encoding {
  const out: Encoding = { ...encoding };
  plan.bins.forEach((b, i) => {
    const { bin: _bin, ...rest } = b.def;
    const title = b.def.title ?? b.field;
    out[b.channel] = {
      ...rest,
      field: `__bin_${b.channel}`,
      bin: { binned: true, step: steps[i] },
      type: 'quantitative',
      title,
    };
    out[`${b.channel}2`] = { field: `__bin_end_${b.channel}` };
  });
  for (const a of plan.aggs) {
    const { aggregate: _aggregate, ...rest } = a.def;
    const op = titles[a.op] ?? a.op;
    const title =
      a.def.title ?? (a.op === 'count' ? 'Count of Records' : `${op[0]?.toUpperCase()}${op.slice(1)} of ${a.field}`);
    const type = a.def.type ?? 'quantitative';
    const def: ChannelDef = { ...rest, field: a.name, type, title };
    if (a.index === undefined) out[a.channel] = def;
    else {
      const list = [...((out[a.channel] as ChannelDef[] | undefined) ?? [])];
      list[a.index] = def;
      out[a.channel] = list;
    }
  }
  return out;
}
