/**
 * Where a vega-lite spec names fields: encodings of every view (inside layer,
 * hconcat, vconcat, concat, facet + spec, repeat + spec), facet definitions,
 * repeat lists and transforms (their field keys and the `datum.x` of their
 * expressions). The spec checks, the type inference and the column pruning
 * all walk the spec through here, so they agree on what a field is.
 */
import type { ChannelDef, ChartSpec, Encoding } from './types.js';

/** A path in the spec, e.g. `["layer", 1, "encoding", "y", "field"]`. */
export type SpecPath = Array<string | number>;

/** One field the spec names. */
export interface FieldRef {
  /** Where the name is written. */
  path: SpecPath;
  /** The name as written (`a.b` reaches into column `a`; `a\.b` is the column `a.b`). */
  field: string;
  /** Names made by transforms of this view or its parents (calculate `as`, fold's `key`/`value`, …). */
  derived: ReadonlySet<string>;
  /** True when a transform above makes names that cannot be known here (pivot, a view's own data). */
  open: boolean;
}

/** What {@link fieldRefs} finds. */
export interface FieldRefs {
  refs: FieldRef[];
  /** An expression reads `datum` in a way not resolved to names (`datum[x]`): keep every column. */
  opaque: boolean;
}

/** A view's encoding, with where it is and the repeat fields that `{ repeat: … }` stands for. */
export interface EncodingSite {
  encoding: Encoding;
  path: SpecPath;
  repeat: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

const childKeys = ['layer', 'hconcat', 'vconcat', 'concat'] as const;

/**
 * Calls `visit` for every view of the spec, parents first.
 *
 * @param spec - a vega-lite spec
 * @param visit - gets the view, its path and the fields a `{ repeat }` reference may stand for
 */
export function forEachView(
  spec: ChartSpec,
  visit: (view: ChartSpec, path: SpecPath, repeat: string[]) => void,
  path: SpecPath = [],
  repeat: string[] = [],
): void {
  visit(spec, path, repeat);
  for (const key of childKeys) {
    const children = spec[key];
    if (!Array.isArray(children)) continue;
    children.forEach((child, i) => {
      if (isObject(child)) forEachView(child as ChartSpec, visit, [...path, key, i], repeat);
    });
  }
  if (isObject(spec.spec)) {
    forEachView(spec.spec as ChartSpec, visit, [...path, 'spec'], spec.repeat ? repeatFields(spec.repeat) : repeat);
  }
}

/** The fields of a repeat: `["a", "b"]` or `{ row: [...], column: [...], layer: [...] }`. */
export function repeatFields(repeat: unknown): string[] {
  if (Array.isArray(repeat)) return repeat.filter((f): f is string => typeof f === 'string');
  if (!isObject(repeat)) return [];
  return Object.values(repeat).flatMap((list) =>
    Array.isArray(list) ? list.filter((f): f is string => typeof f === 'string') : [],
  );
}

/** Every encoding of every view. */
export function encodingSites(spec: ChartSpec): EncodingSite[] {
  const sites: EncodingSite[] = [];
  forEachView(spec, (view, path, repeat) => {
    if (isObject(view.encoding)) sites.push({ encoding: view.encoding, path: [...path, 'encoding'], repeat });
  });
  return sites;
}

/** The channel definitions of an encoding (arrays of `tooltip`/`detail` flattened), with their paths. */
export function channelDefs(site: EncodingSite): Array<{ channel: string; def: ChannelDef; path: SpecPath }> {
  return Object.entries(site.encoding).flatMap(([channel, def]) => {
    if (Array.isArray(def)) {
      return def.flatMap((d, i) =>
        isObject(d) ? [{ channel, def: d as ChannelDef, path: [...site.path, channel, i] }] : [],
      );
    }
    return isObject(def) ? [{ channel, def, path: [...site.path, channel] }] : [];
  });
}

/** The facet definitions of a `facet` operator: `{ field }` or `{ row, column }`. */
export function facetDefs(
  view: ChartSpec,
  path: SpecPath,
): Array<{ channel: string; def: ChannelDef; path: SpecPath }> {
  const facet = view.facet;
  if (!isObject(facet)) return [];
  if ('field' in facet) return [{ channel: 'facet', def: facet as ChannelDef, path: [...path, 'facet'] }];
  return Object.entries(facet).flatMap(([channel, def]) =>
    isObject(def) ? [{ channel, def: def as ChannelDef, path: [...path, 'facet', channel] }] : [],
  );
}

// Transform keys naming fields of the input rows (pivot's `value` is a field too; impute's is a constant).
const transformFieldKeys = new Set([
  'field',
  'groupby',
  'fold',
  'flatten',
  'pivot',
  'density',
  'regression',
  'loess',
  'on',
  'quantile',
  'impute',
  'stack',
  'lookup',
]);
const datumPattern = /datum\s*\.\s*([A-Za-z_$][\w$]*)|datum\s*\[\s*(["'])((?:\\.|(?!\2)[^\\])*)\2\s*\]/g;

/** The `datum.x` and `datum["x"]` names an expression reads; `opaque` when it reads datum otherwise. */
export function datumNames(expr: string): { names: string[]; opaque: boolean } {
  const names: string[] = [];
  let matched = 0;
  for (const m of expr.matchAll(datumPattern)) {
    names.push(m[1] ?? (m[3] ?? '').replace(/\\(.)/g, '$1'));
    matched++;
  }
  const uses = expr.match(/\bdatum\b/g)?.length ?? 0;
  return { names, opaque: uses > matched };
}

/**
 * Every field the spec names, with the names its transforms make in scope.
 *
 * @param spec - a vega-lite spec (the top-level `data` is the table)
 */
export function fieldRefs(spec: ChartSpec): FieldRefs {
  const out: FieldRefs = { refs: [], opaque: false };
  walkView(spec, [], new Set(), false, out);
  return out;
}

function walkView(view: ChartSpec, path: SpecPath, derived: Set<string>, open: boolean, out: FieldRefs): void {
  const isOpen = open || (path.length > 0 && view.data !== undefined);
  const names = new Set(derived);
  let closed = isOpen;
  const add = (p: SpecPath, field: unknown) => {
    if (typeof field === 'string') out.refs.push({ path: p, field, derived: names, open: closed });
  };
  const transforms = Array.isArray(view.transform) ? view.transform : [];
  transforms.forEach((t, i) => {
    if (!isObject(t)) return;
    walkTransform(t, [...path, 'transform', i], add, out);
    for (const name of transformOutputs(t)) names.add(name);
    if ('pivot' in t || 'lookup' in t) closed = true;
  });
  for (const site of isObject(view.encoding)
    ? channelDefs({ encoding: view.encoding, path: [...path, 'encoding'], repeat: [] })
    : []) {
    add([...site.path, 'field'], site.def.field);
    if (isObject(site.def.sort)) add([...site.path, 'sort', 'field'], site.def.sort.field);
    const conditions = Array.isArray(site.def.condition) ? site.def.condition : [site.def.condition];
    conditions.forEach((c, i) => {
      if (isObject(c))
        add([...site.path, 'condition', ...(Array.isArray(site.def.condition) ? [i] : []), 'field'], c.field);
    });
  }
  for (const facet of facetDefs(view, path)) add([...facet.path, 'field'], facet.def.field);
  if (view.repeat !== undefined) {
    const lists = Array.isArray(view.repeat) ? { '': view.repeat } : isObject(view.repeat) ? view.repeat : {};
    for (const [key, list] of Object.entries(lists)) {
      if (!Array.isArray(list)) continue;
      for (const [i, f] of list.entries()) add([...path, 'repeat', ...(key ? [key] : []), i], f);
    }
  }
  for (const key of childKeys) {
    const children = view[key];
    if (Array.isArray(children)) {
      children.forEach((c, i) => {
        if (isObject(c)) walkView(c as ChartSpec, [...path, key, i], names, closed, out);
      });
    }
  }
  if (isObject(view.spec)) walkView(view.spec as ChartSpec, [...path, 'spec'], names, closed, out);
}

function walkTransform(
  t: Record<string, unknown>,
  path: SpecPath,
  add: (p: SpecPath, field: unknown) => void,
  out: FieldRefs,
): void {
  for (const [key, value] of Object.entries(t)) {
    if (key === 'from' || key === 'as' || key === 'param') continue;
    if ((key === 'filter' || key === 'calculate') && typeof value === 'string') {
      const { names, opaque } = datumNames(value);
      for (const name of names) add([...path, key], name);
      if (opaque) out.opaque = true;
    } else if (transformFieldKeys.has(key) || (key === 'value' && 'pivot' in t)) {
      if (!Array.isArray(value)) add([...path, key], value);
      else for (const [i, f] of value.entries()) add([...path, key, i], f);
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => {
        if (isObject(v)) walkTransform(v, [...path, key, i], add, out);
      });
    } else if (isObject(value)) {
      walkTransform(value, [...path, key], add, out);
    }
  }
}

/** The names a transform makes: every `as`, and the defaults of fold, density and quantile. */
function transformOutputs(t: Record<string, unknown>): string[] {
  const names: string[] = [];
  const collect = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(collect);
    else if (isObject(v)) {
      for (const [key, inner] of Object.entries(v)) {
        if (key === 'as') names.push(...(Array.isArray(inner) ? inner : [inner]).filter((n) => typeof n === 'string'));
        else collect(inner);
      }
    }
  };
  collect(t);
  if ('fold' in t) names.push('key', 'value');
  if ('density' in t) names.push('value', 'density');
  if ('quantile' in t) names.push('prob', 'value');
  if ('regression' in t || 'loess' in t)
    names.push(...[t.regression, t.on].filter((n): n is string => typeof n === 'string'));
  return names;
}

/**
 * The top-level column a field name reads: `a.b` → `a`, `a\.b` → `a.b`.
 *
 * @param field - a vega-lite field name
 */
export function columnOf(field: string): string {
  let out = '';
  for (let i = 0; i < field.length; i++) {
    const ch = field[i];
    if (ch === '\\' && i + 1 < field.length) out += field[++i];
    else if (ch === '.' || ch === '[') break;
    else out += ch;
  }
  return out;
}
