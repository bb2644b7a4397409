/**
 * The error for a file path that names no file: which file, resolved from which
 * folder, and the names in that folder that come close — what a student needs
 * after a typo in `send("studnets.csv")`.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute } from 'node:path';
import { ErrorCode, NotFoundError } from '../errors.js';

/** Edit distance (insertions, deletions, substitutions), case-insensitive. */
function distance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let row = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const next = [i];
    for (let j = 1; j <= t.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[t.length]!;
}

const stem = (name: string): string => name.replace(/\.[^.]*$/, '').toLowerCase();

/**
 * Up to three names in `folder` close to `name`: a small edit away, or the same
 * name with another extension or case.
 * @internal
 */
export function closeMatches(folder: string, name: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(folder);
  } catch {
    return [];
  }
  const limit = Math.max(2, Math.floor(name.length / 4));
  return entries
    .map((entry) => ({ entry, d: stem(entry) === stem(name) ? 0 : distance(entry, name) }))
    .filter(({ entry, d }) => entry !== name && d <= limit)
    .sort((a, b) => a.d - b.d || a.entry.localeCompare(b.entry))
    .slice(0, 3)
    .map(({ entry }) => entry);
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * `CSVS_NOT_FOUND` for a path that is not a file.
 *
 * @param path - the absolute path looked at
 * @param given - the path as the caller wrote it, when it was a string
 * @example
 * missingFile('/home/ada/notebooks/studnets.csv', 'studnets.csv').message
 * // 'no file "studnets.csv" in /home/ada/notebooks (a relative path starts from the current folder;
 * //  in Jupyter, the notebook’s folder); did you mean "students.csv"?'
 * @internal
 */
export function missingFile(path: string, given?: string): NotFoundError {
  const folder = dirname(path);
  const name = basename(path);
  const from =
    given !== undefined && !isAbsolute(given)
      ? ' (a relative path starts from the current folder; in Jupyter, the notebook’s folder)'
      : '';
  if (isFolder(path)) {
    return new NotFoundError(ErrorCode.NOT_FOUND, `${path} is a folder, not a file: name a CSV file in it`);
  }
  if (!isFolder(folder)) {
    return new NotFoundError(ErrorCode.NOT_FOUND, `no file "${name}": the folder ${folder} does not exist${from}`);
  }
  const matches = closeMatches(folder, name);
  const guess = matches.length ? `; did you mean ${matches.map((m) => `"${m}"`).join(', ')}?` : '';
  return new NotFoundError(ErrorCode.NOT_FOUND, `no file "${name}" in ${folder}${from}${guess}`);
}
