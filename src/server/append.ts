/**
 * Appending rows to a live dataset: the new rows must have the same columns,
 * in the same order, with compatible types (integer widens to number).
 */
import type { ColumnTable } from 'arquero';
import type { ColumnInfo } from '../csv/index.js';
import { CsvParseError, ErrorCode } from '../errors.js';
import type { Dataset } from './datasets.js';

/**
 * The dataset's table with `rows` appended.
 *
 * @param dataset - the stored dataset
 * @param rows - the new rows as a table
 * @param columns - the new rows' column infos
 * @throws CsvParseError `CSVS_PARSE_BAD_TYPE` when the columns differ
 */
export function concatTables(dataset: Dataset, rows: ColumnTable, columns: readonly ColumnInfo[]): ColumnTable {
  const have = dataset.columns.map((c) => c.name);
  const got = columns.map((c) => c.name);
  if (have.length !== got.length || have.some((n, i) => n !== got[i])) {
    throw new CsvParseError(
      ErrorCode.PARSE_BAD_TYPE,
      `cannot append to "${dataset.name}": its columns are ${JSON.stringify(have)}, the new rows have ${JSON.stringify(got)}`,
      { dataset: dataset.name, line: 1 },
    );
  }
  columns.forEach((c, i) => {
    const old = dataset.columns[i];
    if (!old || c.type === old.type || rows.numRows() === 0) return;
    const numeric = (t: string) => t === 'integer' || t === 'number';
    if (numeric(c.type) && numeric(old.type)) return;
    throw new CsvParseError(
      ErrorCode.PARSE_BAD_TYPE,
      `cannot append to "${dataset.name}": column "${c.name}" is ${old.type}, the new rows have ${c.type}`,
      { dataset: dataset.name },
    );
  });
  return dataset.table.concat(rows);
}
