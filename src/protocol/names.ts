/**
 * The rule for dataset names — 1 to {@link DATASET_NAME_MAX} characters, no
 * control characters, no lone surrogates — shared by the server's message schema and the page.
 * No imports: the page bundles this file.
 */

/** The longest dataset name, in UTF-16 code units. */
export const DATASET_NAME_MAX = 128;

/** A text with no C0 control character and no DEL. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
export const NO_CONTROL_CHARACTER = /^[^\u0000-\u001f\u007f]*$/;

/**
 * A text with no lone (unpaired) surrogate: read as code points (`u`), a
 * paired surrogate is one code point outside the Cs category, a lone one is in it.
 */
export const NO_LONE_SURROGATE = /^\P{Cs}*$/u;

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
  return !NO_CONTROL_CHARACTER.test(text);
}

/**
 * Whether a text contains a lone (unpaired) surrogate, which has no UTF-8 form.
 *
 * @param text - any text
 * @example
 * ```ts
 * hasLoneSurrogate('report\udfff') // true
 * ```
 */
export function hasLoneSurrogate(text: string): boolean {
  return !NO_LONE_SURROGATE.test(text);
}

/**
 * Whether a name is a valid dataset name.
 *
 * @param name - the candidate
 */
export function isDatasetName(name: string): boolean {
  return name.length >= 1 && name.length <= DATASET_NAME_MAX && !hasControlCharacter(name) && !hasLoneSurrogate(name);
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
