/**
 * Displays that change while the notebook runs: the server's status and an upload's progress.
 *
 *   createStatusDisplay() ── one display in the serve() cell ◀── update(state) from server events,
 *                            redrawn as every later cell ends (headless runs drop late updates)
 *   createProgressDisplay() ── one bar per large upload, redrawn at most every 100 ms
 *
 * Outside a notebook both are silent no-ops; the CLI prints its own lines.
 */
import { formatBytes, plural } from '../text.js';
import { DisplayHandle, escapeHTML } from './display.js';
import { atCellEnd, isNotebook, type MimeBundle } from './kernel.js';

/**
 * The token as a saved notebook may show it. Whatever a display shows is
 * saved in the .ipynb and in every exported report, and a report shared with
 * a class would hand out the token of a server still running: the display
 * shows a long token's first four characters (enough to tell two servers
 * apart), a short one not at all; `server.url` has the whole URL.
 */
export function maskToken(token: string): string {
  return token.length >= 16 ? `${token.slice(0, 4)}…` : '…';
}

/** What the server's status display shows. */
export interface ServerStatus {
  /** Where clients connect (without the token). */
  url: string;
  /** The token clients must present; shown masked (see {@link maskToken}). */
  token?: string;
  /** Connected clients right now. */
  clients: number;
  /** Every dataset received so far. */
  datasets: Array<{ name: string; rows: number; columns: number }>;
  /** Recent events, oldest first (the display keeps the last 8). */
  events: string[];
}

/** A display updated in place; see {@link createStatusDisplay}. */
export interface StatusDisplay {
  /** Redraws the one status display (a no-op outside a notebook). */
  update(state: ServerStatus): void;
  /** Shows the display again in the cell running now, e.g. when a serve() cell re-runs; all copies keep updating. */
  attach(): void;
}

function statusBundle(s: ServerStatus | undefined): MimeBundle {
  if (!s)
    return {
      'text/plain': 'csvsocket server: starting…',
      'text/html': '<div class="csvs-status">csvsocket server: starting…</div>',
    };
  const full = s.token ? `${s.url}${s.url.includes('?') ? '&' : '?'}token=${maskToken(s.token)}` : s.url;
  const events = s.events.slice(-8);
  const text = [
    `csvsocket server: ${full}`,
    ...(s.token ? ['  (the full URL with its token: server.url — kept out of saved output)'] : []),
    `clients: ${s.clients} · datasets: ${s.datasets.length}`,
    ...s.datasets.map((d) => `  ${d.name}: ${plural(d.rows, 'row')} × ${plural(d.columns, 'column')}`),
    ...events.map((e) => `  · ${e}`),
  ].join('\n');
  const datasets = s.datasets
    .map(
      (d) => `<li><code>${escapeHTML(d.name)}</code> — ${plural(d.rows, 'row')} × ${plural(d.columns, 'column')}</li>`,
    )
    .join('');
  const html =
    '<div class="csvs-status" style="font:12px sans-serif;border-left:3px solid #4c78a8;padding:4px 8px">' +
    `<div><b>csvsocket server</b> <code>${escapeHTML(full)}</code>` +
    (s.token ? ' <span style="color:#666">(full URL with its token: <code>server.url</code>)</span>' : '') +
    '</div>' +
    `<div>clients: ${s.clients} · datasets: ${s.datasets.length}</div>` +
    (datasets ? `<ul style="margin:2px 0">${datasets}</ul>` : '') +
    (events.length ? `<div style="color:#666">${events.map(escapeHTML).join('<br>')}</div>` : '') +
    '</div>';
  return { 'text/plain': text, 'text/html': html };
}

/**
 * Creates the server's status display in the cell running now: URL and token,
 * connected clients, datasets received and recent events, updated in place
 * (one display_id), so background events never print into another cell.
 * Outside a notebook it does nothing; the CLI prints its own lines.
 *
 * @returns the display; call `update(state)` from any callback.
 * @example
 * const status = createStatusDisplay();
 * status.update({ url: server.url, clients: 0, datasets: [], events: ['listening'] });
 */
export function createStatusDisplay(): StatusDisplay {
  if (!isNotebook()) return { update() {}, attach() {} };
  const handle = new DisplayHandle();
  let last: ServerStatus | undefined;
  handle.show(statusBundle(last));
  atCellEnd(() => {
    if (last) handle.update(statusBundle(last));
  });
  return {
    update(state) {
      last = { ...state, datasets: [...state.datasets], events: [...state.events] };
      handle.update(statusBundle(last));
    },
    attach() {
      handle.show(statusBundle(last));
    },
  };
}

/** A progress bar updated in place; see {@link createProgressDisplay}. */
export interface ProgressDisplay {
  /** Sets the bytes done so far; redraws at most every 100 ms. */
  update(bytes: number): void;
  /** Marks the work finished and draws the final state. */
  done(): void;
}

function progressBundle(label: string, bytes: number, total: number, finished: boolean): MimeBundle {
  const fraction = total > 0 ? Math.min(1, bytes / total) : finished ? 1 : 0;
  const percent = Math.round(fraction * 100);
  const summary = `${percent}% (${formatBytes(bytes)} of ${formatBytes(total)})${finished ? ' ✓' : ''}`;
  const bar = `${'█'.repeat(Math.round(fraction * 30))}${'░'.repeat(30 - Math.round(fraction * 30))}`;
  return {
    'text/plain': `${label} ${bar} ${summary}`,
    'text/html':
      '<div class="csvs-progress" style="font:12px sans-serif">' +
      `<span>${escapeHTML(label)}</span> ` +
      '<span style="display:inline-block;width:200px;height:10px;background:#eee;vertical-align:middle">' +
      `<span style="display:block;height:10px;width:${(fraction * 100).toFixed(1)}%;background:#4c78a8"></span></span> ` +
      `<span>${escapeHTML(summary)}</span></div>`,
  };
}

/**
 * Creates a progress bar in the cell running now, updated in place.
 * Outside a notebook it does nothing (the CLI draws its own bar).
 *
 * @param label - what is being transferred, e.g. the file name.
 * @param totalBytes - the expected size; 0 when unknown.
 * @returns the display.
 * @example
 * const progress = createProgressDisplay('students.csv', size);
 * stream.on('data', (chunk) => progress.update((done += chunk.length)));
 * stream.on('end', () => progress.done());
 */
export function createProgressDisplay(label: string, totalBytes: number): ProgressDisplay {
  if (!isNotebook()) return { update() {}, done() {} };
  const handle = new DisplayHandle();
  let bytes = 0;
  let drawnAt = 0;
  let finished = false;
  handle.show(progressBundle(label, 0, totalBytes, false));
  return {
    update(n) {
      if (finished) return;
      bytes = n;
      const now = Date.now();
      if (now - drawnAt < 100) return;
      drawnAt = now;
      handle.update(progressBundle(label, bytes, totalBytes, false));
    },
    done() {
      if (finished) return;
      finished = true;
      handle.update(progressBundle(label, Math.max(bytes, totalBytes), totalBytes, true));
    },
  };
}
