/** Tables and helpers shared by the query tests. */
import type { ColumnTable } from 'arquero';
import * as aq from 'arquero';
import { parseQuery, runQuery } from '../../src/query/index.js';
import { rejectsWithCode } from '../helpers.js';

/** data/students.csv, built here so these tests do not depend on the CSV module. */
export const studentsData = {
  id: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  name: ['Monish', 'Ameer', 'Lokesh', 'Divya', 'Floofy', 'Augustine', 'Krupa', 'Meghana', 'Simran', 'Yash'],
  age: [21, 22, 22, 21, 21, 22, 21, 21, 21, 22],
  grade: ['A', 'B', 'A', 'B', 'A', 'A', 'B', 'C', 'A', 'A'],
};
export const students = (): ColumnTable => aq.table(structuredClone(studentsData));

/** A table with nulls, dates and booleans. */
export const mixedData = {
  n: [3, null, 1, 2, null],
  s: ['b', null, 'a', 'c', 'B'],
  d: [
    new Date('2024-03-01T00:00:00Z'),
    new Date('2024-01-15T00:00:00Z'),
    null,
    new Date('2024-06-30T00:00:00Z'),
    new Date('2024-01-01T00:00:00Z'),
  ],
  b: [true, false, null, true, false],
};
export const mixed = (): ColumnTable => aq.table(structuredClone(mixedData));

/** A table whose column names look like code. */
export function tableWithNames(names: string[]): ColumnTable {
  const cols: Record<string, unknown[]> = {};
  // defineProperty, so "__proto__" becomes an own key rather than a prototype
  for (const n of names)
    Object.defineProperty(cols, n, { value: [3, 1, 2], enumerable: true, writable: true, configurable: true });
  cols.g = ['x', 'y', 'y'];
  return aq.table(cols);
}

export const run = (table: ColumnTable, query: unknown): ColumnTable => runQuery(table, parseQuery(query));
export const ids = (t: ColumnTable): unknown[] => t.array('id', Array) as unknown[];
export const codeOf = async (fn: () => unknown, code: string, pattern?: RegExp) => rejectsWithCode(fn, code, pattern);
