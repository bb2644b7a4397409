/**
 * The rule for dataset names — 1 to {@link DATASET_NAME_MAX} characters, no
 * control characters — shared by the server's message schema and the page.
 * No imports: the page bundles this file.
 */

/** The longest dataset name, in UTF-16 code units. */
export const DATASET_NAME_MAX = 128;

/**
 * Whether a text contains a C0 control character or DEL.
 *
 * @param text - any text
 * @example
 * ```ts
 * hasControlCharacter('a\tb') // true
 * ```
 */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/**
 * Whether a name is a valid dataset name.
 *
 * @param name - the candidate
 */
export function isDatasetName(name: string): boolean {
  return name.length >= 1 && name.length <= DATASET_NAME_MAX && !hasControlCharacter(name);
}

/**
 * A valid dataset name for a file: its name without the extension, control
 * characters replaced by `_`, cut to {@link DATASET_NAME_MAX}; `data` when
 * nothing is left.
 *
 * @param fileName - a file's name (no directory)
 * @example
 * ```ts
 * datasetNameForFile('students.csv') // 'students'
 * ```
 */
export function datasetNameForFile(fileName: string): string {
  const base = fileName.replace(/\.[^.]*$/, '') || 'data';
  let clean = '';
  for (const ch of base) clean += hasControlCharacter(ch) ? '_' : ch;
  return clean.slice(0, DATASET_NAME_MAX).trim() || 'data';
}
