/**
 * A `repeat` spec written out as the concatenation it stands for, so each
 * repeated view can be aggregated on the table on its own (a repeat shares one
 * data set, which would then have to be every raw row).
 */
import type { ChartSpec } from './types.js';

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The concat, hconcat or vconcat a repeat of a single view stands for, or
 * undefined (a layer repeat, a repeat of a composite view, a transform).
 *
 * @param spec - a spec with `repeat` and `spec`
 */
export function expandRepeat(spec: ChartSpec): ChartSpec | undefined {
  const { repeat, spec: inner, columns, ...rest } = spec;
  if (!isObject(inner) || inner.mark === undefined || inner.transform !== undefined || rest.transform !== undefined) {
    return undefined;
  }
  const view = (fields: Record<string, string>): ChartSpec => substitute(inner, fields) as ChartSpec;
  if (Array.isArray(repeat)) {
    const concat = repeat.map((field) => view({ repeat: String(field) }));
    return { ...rest, concat, ...(columns === undefined ? {} : { columns }) };
  }
  if (!isObject(repeat) || 'layer' in repeat) return undefined;
  const rows = Array.isArray(repeat.row) ? repeat.row.map(String) : undefined;
  const cols = Array.isArray(repeat.column) ? repeat.column.map(String) : undefined;
  if (rows && cols) {
    return { ...rest, vconcat: rows.map((row) => ({ hconcat: cols.map((column) => view({ row, column })) })) };
  }
  if (rows) return { ...rest, vconcat: rows.map((row) => view({ row })) };
  if (cols) return { ...rest, hconcat: cols.map((column) => view({ column })) };
  return undefined;
}

/** A copy with every `{ repeat: "row" }` reference replaced by its field. */
function substitute(value: unknown, fields: Record<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => substitute(v, fields));
  if (!isObject(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === 'repeat' && typeof value.repeat === 'string' && value.repeat in fields) {
    return fields[value.repeat];
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, fields)]));
}
