/**
 * The csvsocket upload page: choose or drop a CSV file, send it to the server
 * that served this page, see its summary and the datasets on the server.
 * Bundled by `npm run build` (scripts/build-page.ts) into dist/page/app.js.
 *
 *   start ─▶ GET auth (token ok?) ─▶ WebSocket + welcome ─▶ list
 *   choose file ─▶ Send ─▶ upload in chunks ─▶ summary ─▶ list
 */
import { DATASET_NAME_MAX, datasetNameForFile, isDatasetName } from '../protocol/names.js';
import { formatBytes } from '../protocol/units.js';
import { checkToken, describeError, PageConnection } from './connection.js';
import { pageClientId } from './identity.js';
import { clearProblem, findUi, setStatus, showDatasets, showProblem, showProgress, showSummary } from './view.js';

const ui = findUi();
const token = new URLSearchParams(location.search).get('token') || '';
const clientId = pageClientId();
let connection: PageConnection | null = null;
let chosen: File | null = null;
let busy = false;

function choose(file: File | null): void {
  chosen = file;
  ui.chosen.textContent = file ? `${file.name} — ${formatBytes(file.size)}` : 'no file chosen';
  if (file) ui.name.value = datasetNameForFile(file.name);
  ui.upload.disabled = !file || !connection?.isOpen || busy;
}

/** What is wrong with sending `file` as `name`, or null. */
function refusal(file: File, name: string, maxUploadBytes: number): string | null {
  if (!isDatasetName(name)) {
    return `A dataset name has 1 to ${DATASET_NAME_MAX} characters and no control characters.`;
  }
  if (file.size > maxUploadBytes) {
    return `${file.name} is ${formatBytes(file.size)}; this server takes at most ${formatBytes(maxUploadBytes)}.`;
  }
  return null;
}

async function send(): Promise<void> {
  const file = chosen;
  if (!file || busy || !connection) return;
  const name = ui.name.value.trim() || datasetNameForFile(file.name);
  const problem = refusal(file, name, connection.limits.maxUploadBytes);
  if (problem) {
    showProblem(ui, problem);
    return;
  }
  clearProblem(ui);
  busy = true;
  ui.upload.disabled = true;
  ui.result.hidden = true;
  showProgress(ui, 0, file.size);
  try {
    const summary = await connection.upload(file, name, clientId, (bytes) => showProgress(ui, bytes, file.size));
    showProgress(ui, file.size, file.size);
    ui.progressText.textContent = `Done · ${formatBytes(file.size)}`;
    showSummary(ui, summary);
    await refreshList();
  } catch (err) {
    ui.progressRow.hidden = true;
    showProblem(ui, `Could not send ${file.name}: ${describeError(err)}`);
  } finally {
    busy = false;
    ui.upload.disabled = !chosen || !connection?.isOpen;
  }
}

async function refreshList(): Promise<void> {
  if (!connection) throw new Error('Not connected to the server. Reload the page.');
  showDatasets(ui, await connection.list());
}

function refused(problem: string): void {
  setStatus(ui, 'Not connected', 'bad');
  showProblem(ui, problem);
  document.body.dataset.state = 'refused';
}

function wire(): void {
  ui.file.addEventListener('change', () => choose(ui.file.files?.[0] ?? null));
  ui.upload.addEventListener('click', () => void send());
  ui.refresh.addEventListener('click', () => void refreshList().catch((err) => showProblem(ui, describeError(err))));
  for (const type of ['dragenter', 'dragover']) {
    ui.drop.addEventListener(type, (event) => {
      event.preventDefault();
      ui.drop.classList.add('over');
    });
  }
  for (const type of ['dragleave', 'drop']) {
    ui.drop.addEventListener(type, () => ui.drop.classList.remove('over'));
  }
  ui.drop.addEventListener('drop', (event) => {
    event.preventDefault();
    const file = (event as DragEvent).dataTransfer?.files?.[0];
    if (file) choose(file);
  });
}

async function start(): Promise<void> {
  const problem = await checkToken(token);
  if (problem) return refused(problem);
  try {
    connection = await PageConnection.open(token, (err) => {
      setStatus(ui, 'Disconnected', 'bad');
      showProblem(ui, err.message);
    });
  } catch (err) {
    return refused(describeError(err));
  }
  setStatus(ui, `Connected to ${location.host}`, 'ok');
  ui.upload.disabled = !chosen;
  document.body.dataset.state = 'connected';
  await refreshList().catch((err) => showProblem(ui, describeError(err)));
}

wire();
void start();
