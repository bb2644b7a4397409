/**
 * What the upload page shows. Every value from a file or the server is written
 * with textContent, never as HTML.
 */
import type { DatasetSummary } from '../protocol/messages.js';
import { formatBytes, plural } from '../protocol/units.js';

/** The page's elements, by role. */
export interface Ui {
  status: HTMLElement;
  problem: HTMLElement;
  drop: HTMLElement;
  file: HTMLInputElement;
  chosen: HTMLElement;
  name: HTMLInputElement;
  upload: HTMLButtonElement;
  progressRow: HTMLElement;
  progress: HTMLProgressElement;
  progressText: HTMLElement;
  result: HTMLElement;
  summary: HTMLElement;
  warnings: HTMLElement;
  head: HTMLTableElement;
  datasets: HTMLTableElement;
  empty: HTMLElement;
  refresh: HTMLButtonElement;
}

function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node as T;
}

/** Find the page's elements (index.html). */
export function findUi(): Ui {
  return {
    status: byId('status'),
    problem: byId('problem'),
    drop: byId('drop'),
    file: byId('file'),
    chosen: byId('chosen'),
    name: byId('name'),
    upload: byId('upload'),
    progressRow: byId('progress-row'),
    progress: byId('progress'),
    progressText: byId('progress-text'),
    result: byId('result'),
    summary: byId('summary'),
    warnings: byId('warnings'),
    head: byId('head'),
    datasets: byId('datasets'),
    empty: byId('empty'),
    refresh: byId('refresh'),
  };
}

/** A new element holding `text` as text. */
function el(tag: string, text?: string | number | null, className?: string): HTMLElement {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

/** The connection state in the header: `ok`, `bad` or neutral. */
export function setStatus(ui: Ui, text: string, state: 'ok' | 'bad' | '' = ''): void {
  ui.status.textContent = text;
  ui.status.className = `status ${state}`;
}

export function showProblem(ui: Ui, text: string): void {
  ui.problem.textContent = text;
  ui.problem.hidden = false;
}

export function clearProblem(ui: Ui): void {
  ui.problem.hidden = true;
  ui.problem.textContent = '';
}

export function showProgress(ui: Ui, bytes: number, total: number): void {
  ui.progressRow.hidden = false;
  ui.progress.max = Math.max(total, 1);
  ui.progress.value = Math.min(bytes, total);
  const percent = total > 0 ? Math.floor((100 * bytes) / total) : 100;
  ui.progressText.textContent = `${percent}% · ${formatBytes(bytes)} of ${formatBytes(total)}`;
}

function isNumeric(type: string | undefined): boolean {
  return type === 'integer' || type === 'number';
}

/** The stored dataset: its shape, warnings and first rows. */
export function showSummary(ui: Ui, summary: DatasetSummary): void {
  ui.summary.replaceChildren(
    el('strong', summary.name),
    document.createTextNode(
      ` — ${plural(summary.rows, 'row')} × ${plural(summary.columns.length, 'column')}, ${formatBytes(summary.bytes)} in ${summary.ms} ms. First rows:`,
    ),
  );
  ui.warnings.replaceChildren(...summary.warnings.map((w) => el('li', w)));
  const headRow = el('tr');
  for (const c of summary.columns) {
    const th = el('th', c.name, isNumeric(c.type) ? 'num' : '');
    th.append(el('span', c.type, 'type'));
    headRow.append(th);
  }
  const body = el('tbody');
  for (const row of summary.head) {
    const tr = el('tr');
    row.forEach((value, i) => {
      const numeric = isNumeric(summary.columns[i]?.type);
      tr.append(value === null ? el('td', 'null', 'null') : el('td', value, numeric ? 'num' : ''));
    });
    body.append(tr);
  }
  const thead = el('thead');
  thead.append(headRow);
  ui.head.replaceChildren(thead, body);
  ui.result.hidden = false;
}

/** The table of datasets on the server. */
export function showDatasets(ui: Ui, datasets: readonly DatasetSummary[]): void {
  const body = ui.datasets.tBodies[0];
  body?.replaceChildren(
    ...datasets.map((d) => {
      const tr = el('tr');
      const types = d.columns.map((c) => `${c.name}: ${c.type}`).join(', ');
      tr.append(
        el('td', d.name),
        el('td', d.rows.toLocaleString('en-US'), 'num'),
        el('td', d.columns.length, 'num'),
        el('td', types.length > 120 ? `${types.slice(0, 119)}…` : types),
        el('td', new Date(d.stored).toLocaleTimeString()),
      );
      return tr;
    }),
  );
  ui.datasets.hidden = datasets.length === 0;
  ui.empty.hidden = datasets.length > 0;
}
