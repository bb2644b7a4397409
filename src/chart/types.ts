/**
 * The shapes csvsocket reads in a vega-lite spec, and what a render returns.
 * Only the keys csvsocket looks at are typed; any other key passes through.
 */

/** One encoding channel of a vega-lite spec. */
export interface ChannelDef {
  /** The column to encode (or `{ repeat: "column" }` inside a repeat). */
  field?: string | { repeat: string };
  /** "quantitative", "temporal", "ordinal" or "nominal"; inferred from the column when missing. */
  type?: string;
  /** An aggregate such as "count", "sum" or "mean". */
  aggregate?: string;
  /** Bin the field: `true` or `{ maxbins }`. */
  bin?: unknown;
  /** A time unit such as "month". */
  timeUnit?: string;
  /** The axis or legend title. */
  title?: string;
  [key: string]: unknown;
}

/** Channel → definition (an array for `tooltip` and `detail`). */
export type Encoding = Record<string, ChannelDef | ChannelDef[] | undefined>;

/** A vega-lite spec; its data comes from the table, so a top-level `data` is replaced. */
export interface ChartSpec {
  /** The mark: "bar", "line", "point", … or `{ type: "bar", … }`. */
  mark?: string | { type: string; [key: string]: unknown };
  /** Channel → definition. */
  encoding?: Encoding;
  /** A title, or `{ text, subtitle }`. */
  title?: string | { text?: string; subtitle?: string | string[]; [key: string]: unknown };
  [key: string]: unknown;
}

/** What {@link renderChart} produces. */
export interface ChartResult {
  /** The chart as a standalone SVG document; a mark with a tooltip carries a `<title>`. */
  svg: string;
  /** The vega-lite spec that was rendered, its data inlined (only the columns and rows the marks need). */
  spec: ChartSpec;
  /** How the data was reduced, e.g. "aggregated 1,000,000 rows into 20"; shown on the chart too. */
  note?: string;
  /** Warnings vega-lite and vega logged while compiling and drawing (shown under the chart). */
  warnings: string[];
  /** How many data rows the spec carries. */
  rows: number;
}

/** Options of {@link renderChart}. */
export interface RenderOptions {
  /**
   * Most rows inlined for marks that draw one row each (points, lines, ticks). Past
   * it, rows are sampled keeping every colour/shape/facet/detail group, with a note;
   * a chart whose groups alone exceed it fails with `CSVS_LIMIT_ROWS`. Aggregating
   * specs (bin, aggregate, timeUnit) are computed on the table first and need no limit.
   * @default 5000
   */
  maxPoints?: number;
}

/** A row of inlined data. */
export type Row = Record<string, unknown>;
