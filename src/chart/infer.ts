/**
 * Missing encoding types, inferred from the table's columns wherever a field is
 * encoded: the top level, layer, hconcat/vconcat/concat, facet + spec, repeat +
 * spec, and facet definitions. Vega-lite itself makes every untyped field
 * nominal, so a numeric column would get one category per distinct value.
 */
import type { ColumnTable } from 'arquero';
import type { ChannelDef, ChartSpec } from './types.js';
import { channelDefs, columnOf, encodingSites, facetDefs, forEachView } from './walk.js';

/** A vega-lite measurement type. */
export type FieldKind = 'quantitative' | 'temporal' | 'nominal';

const isoDateLike = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * The vega-lite type of a column from its first non-null values: numbers →
 * quantitative, Dates (or ISO date text) → temporal, anything else or a mix → nominal.
 *
 * @param table - the table
 * @param column - a column name
 * @param sample - how many non-null values to look at
 */
export function columnKind(table: ColumnTable, column: string, sample = 1000): FieldKind | undefined {
  const values = table.column(column);
  if (!values) return undefined;
  let kind: FieldKind | undefined;
  let seen = 0;
  for (let row = 0; row < table.totalRows() && seen < sample; row++) {
    const v = values.at(row);
    if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) continue;
    seen++;
    const k: FieldKind =
      typeof v === 'number' || typeof v === 'bigint'
        ? 'quantitative'
        : v instanceof Date || (typeof v === 'string' && isoDateLike.test(v))
          ? 'temporal'
          : 'nominal';
    if (kind !== undefined && kind !== k) return 'nominal';
    kind = k;
  }
  return kind;
}

const discreteChannels = new Set(['row', 'column', 'facet', 'shape', 'strokeDash']);
const countingOps = new Set(['count', 'valid', 'missing', 'distinct', 'sum', 'mean', 'average', 'median']);

/**
 * A copy of the spec with a `type` on every field definition that lacks one and
 * whose column is known.
 *
 * @param spec - a vega-lite spec
 * @param table - the table whose columns the fields name
 */
export function withTypes(spec: ChartSpec, table: ColumnTable): ChartSpec {
  const out = structuredClone(spec);
  const kinds = new Map<string, FieldKind | undefined>();
  const kindOf = (field: string): FieldKind | undefined => {
    const column = columnOf(field);
    if (!kinds.has(column))
      kinds.set(column, table.columnNames().includes(column) ? columnKind(table, column) : undefined);
    return kinds.get(column);
  };
  for (const site of encodingSites(out)) {
    for (const { channel, def } of channelDefs(site)) fill(def, channel, site.repeat, kindOf);
  }
  forEachView(out, (view, path) => {
    for (const { channel, def } of facetDefs(view, path)) fill(def, channel, [], kindOf);
  });
  return out;
}

function fill(
  def: ChannelDef,
  channel: string,
  repeat: string[],
  kindOf: (field: string) => FieldKind | undefined,
): void {
  if (def.type !== undefined) return;
  let type: string | undefined;
  if (def.bin !== undefined && def.bin !== false && def.bin !== null) type = 'quantitative';
  else if (def.timeUnit !== undefined) type = 'temporal';
  else if (typeof def.aggregate === 'string' && countingOps.has(def.aggregate)) type = 'quantitative';
  else if (typeof def.field === 'string') type = kindOf(def.field);
  else if (def.field && typeof def.field === 'object') {
    const kinds = new Set(repeat.map(kindOf));
    type = kinds.size === 1 ? [...kinds][0] : undefined;
  }
  if (type === undefined) return;
  if (discreteChannels.has(channel) && type !== 'nominal') type = 'ordinal';
  def.type = type;
}
