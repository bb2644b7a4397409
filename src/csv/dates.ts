/**
 * Calendar days and their one representation per place.
 *
 *   CSV text `2012-01-01` ──► day count (days since 1970-01-01, no time zone)
 *        │                          │
 *        │ in this process          │ on the wire: Arrow Date32 (the same day count)
 *        ▼                          ▼
 *   Date at LOCAL midnight      any other process: its own local midnight
 *
 * A date-only value is a calendar day, not an instant. arquero's
 * `op.year/month/date/dayofweek` and vega-lite's time units read a Date in the
 * process's local time zone, so a day is held as a Date at local midnight: every
 * local reading gives back the written day, under any TZ. Between processes
 * (which may sit in different zones) a day travels as a zone-free day count, and
 * each edge converts (`tableFromArrowIPC`, `tableToArrowIPC`, the parser).
 * Arithmetic on days never goes through `Date` (Hinnant's civil algorithms), so
 * years 0–99 and DST gaps need no special cases.
 */

/** Milliseconds in a day. */
export const MS_PER_DAY = 86_400_000;

/** Days since 1970-01-01 of a proleptic Gregorian date (month 1–12). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Year, month (1–12) and day of a day count. */
export function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

/** Days in a month of the proleptic Gregorian calendar. */
export function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/**
 * A local date-time as a Date (years 0–99 as written, not 1900–1999).
 * @returns the Date; where the wall-clock time does not exist (a DST gap) the
 *   next one that does, as `new Date(y, m, d, …)` gives it
 */
export function localDateTime(y: number, m: number, d: number, hh = 0, mm = 0, ss = 0): Date {
  const date = new Date(2000, 0, 1, hh, mm, ss);
  date.setFullYear(y, m - 1, d);
  date.setHours(hh, mm, ss, 0);
  return date;
}

/**
 * The Date this process holds for a calendar day: local midnight (or, where a
 * DST change skips midnight, the first instant of that local day).
 * @param days - days since 1970-01-01
 * @example
 * ```ts
 * dayToDate(15340).getDate() // 1, under any TZ (2012-01-01)
 * ```
 */
export function dayToDate(days: number): Date {
  const [y, m, d] = civilFromDays(days);
  return localDateTime(y, m, d);
}

/**
 * The calendar day of a Date as this process's local time reads it.
 * @param date - any Date
 * @returns days since 1970-01-01
 */
export function dateToDay(date: Date): number {
  return daysFromCivil(date.getFullYear(), date.getMonth() + 1, date.getDate());
}

/**
 * Whether a Date is the start of its local day, as {@link dayToDate} makes it:
 * such a Date stands for a calendar day.
 * @param date - a valid Date
 */
export function isCalendarDay(date: Date): boolean {
  if (date.getMilliseconds() !== 0 || date.getSeconds() !== 0 || date.getMinutes() !== 0) return false;
  return date.getHours() === 0 || dayToDate(dateToDay(date)).getTime() === date.getTime();
}

function pad(n: number, width: number): string {
  const s = String(Math.abs(n)).padStart(width, '0');
  return n < 0 ? `-${s}` : s;
}

/**
 * `YYYY-MM-DD` of a day count.
 * @param days - days since 1970-01-01
 */
export function isoDay(days: number): string {
  const [y, m, d] = civilFromDays(days);
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
}

/**
 * `YYYY-MM-DD` of a Date's local calendar day (the day a date column holds).
 * @param date - a Date
 * @returns the ISO calendar date
 * @example
 * ```ts
 * isoDate(new Date(2021, 1, 3)) // '2021-02-03'
 * ```
 */
export function isoDate(date: Date): string {
  return isoDay(dateToDay(date));
}

/**
 * How a Date is written anywhere a value is shown or exported: a calendar day
 * (see {@link isCalendarDay}) as `YYYY-MM-DD`, any other instant as ISO UTC
 * text; `''` for an invalid Date. Display code (show(), summaries, status)
 * calls this so every place agrees on the day.
 * @param date - a Date
 * @example
 * ```ts
 * formatDate(new Date(2012, 0, 1)) // '2012-01-01' under any TZ
 * ```
 */
export function formatDate(date: Date): string {
  if (Number.isNaN(date.getTime())) return '';
  return isCalendarDay(date) ? isoDate(date) : date.toISOString();
}

/**
 * Milliseconds of a date text as a query compares it: `YYYY-MM-DD` is that
 * calendar day (local midnight, like a date column's values); anything else as
 * `Date.parse` reads it (an offset keeps its instant).
 * @param text - the date text
 * @returns epoch milliseconds, or NaN
 */
export function parseDateText(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (m) {
    const y = Number(m[1]);
    const mo = Number(m[2]);
    const d = Number(m[3]);
    if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return Number.NaN;
    return localDateTime(y, mo, d).getTime();
  }
  return Date.parse(text);
}
