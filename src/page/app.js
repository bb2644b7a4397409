// The csvsocket upload page. It speaks protocol v1 (docs/protocol.md) over one
// WebSocket to the server that served it: `upload`, binary chunk frames within the
// flow-control window from `welcome.limits`, `end`, then `stored` with the summary.
// Every value from a file or the server is written with textContent, never as HTML.
'use strict';

(() => {
  const SUBPROTOCOL = 'csvsocket.v1';
  const TOKEN_PREFIX = 'csvsocket.token.';
  const FRAME_HEADER = 16;
  const KIND_CHUNK = 1;
  const NAME_MAX = 128;

  const $ = (id) => document.getElementById(id);
  const ui = {
    status: $('status'),
    problem: $('problem'),
    drop: $('drop'),
    file: $('file'),
    chosen: $('chosen'),
    name: $('name'),
    upload: $('upload'),
    progressRow: $('progress-row'),
    progress: $('progress'),
    progressText: $('progress-text'),
    result: $('result'),
    summary: $('summary'),
    warnings: $('warnings'),
    head: $('head'),
    datasets: $('datasets'),
    empty: $('empty'),
    refresh: $('refresh'),
  };

  const token = new URLSearchParams(location.search).get('token') || '';
  const pending = new Map(); // rid → { resolve, reject, onProgress, onReady }
  let ws = null;
  let limits = { chunkBytes: 1 << 20, windowBytes: 16 << 20, maxUploadBytes: 2 ** 32, maxFrameBytes: 64 << 20 };
  let nextRid = 1;
  let chosen = null;
  let busy = false;

  // ───────────────────────── text helpers ─────────────────────────

  function bytesText(n) {
    if (n < 1024) return `${n} B`;
    const units = ['KB', 'MB', 'GB', 'TB'];
    let v = n / 1024;
    let u = 0;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
  }

  function plural(n, word) {
    return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
  }

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function setStatus(text, state) {
    ui.status.textContent = text;
    ui.status.className = `status ${state || ''}`;
  }

  function showProblem(text) {
    ui.problem.textContent = text;
    ui.problem.hidden = false;
  }

  function clearProblem() {
    ui.problem.hidden = true;
    ui.problem.textContent = '';
  }

  // ───────────────────────── connection ─────────────────────────

  const TOKEN_PROBLEM =
    "The token in this page's address is missing or wrong. Open the exact link the server printed (http://…/?token=…).";

  async function checkToken() {
    let res;
    try {
      res = await fetch('auth', { headers: token ? { authorization: `Bearer ${token}` } : {}, cache: 'no-store' });
    } catch {
      return 'The server does not answer. Is it still running?';
    }
    if (res.status === 204) return null;
    if (res.status === 401) return TOKEN_PROBLEM;
    let detail = '';
    try {
      detail = (await res.json()).message || '';
    } catch {
      // no JSON body: the status says enough
    }
    return `The server refuses this page (HTTP ${res.status}). ${detail}`.trim();
  }

  function openSocket() {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/`;
    try {
      // a browser cannot set headers on a WebSocket: the token travels as a second subprotocol
      return new WebSocket(url, token ? [SUBPROTOCOL, TOKEN_PREFIX + token] : [SUBPROTOCOL]);
    } catch {
      // a token with characters a subprotocol cannot hold goes in the query string instead
      return new WebSocket(`${url}?token=${encodeURIComponent(token)}`, [SUBPROTOCOL]);
    }
  }

  function connect() {
    return new Promise((resolve, reject) => {
      const socket = openSocket();
      socket.binaryType = 'arraybuffer';
      let welcomed = false;
      socket.onmessage = (event) => {
        if (typeof event.data !== 'string') return; // this page asks for no tables back
        let m;
        try {
          m = JSON.parse(event.data);
        } catch {
          return;
        }
        if (m.type === 'welcome') {
          welcomed = true;
          limits = { ...limits, ...m.limits };
          resolve(socket);
          return;
        }
        onMessage(m);
      };
      socket.onclose = (event) => {
        const error = new Error(
          welcomed
            ? `The connection to the server closed (${event.reason || `code ${event.code}`}). Reload the page to reconnect.`
            : 'Could not connect to the server.',
        );
        for (const p of pending.values()) p.reject(error);
        pending.clear();
        ws = null;
        setStatus('Disconnected', 'bad');
        if (welcomed) showProblem(error.message);
        else reject(error);
      };
    });
  }

  function onMessage(m) {
    const p = pending.get(m.rid);
    if (!p) return;
    switch (m.type) {
      case 'ready':
        p.onReady?.(m.offset);
        return;
      case 'progress':
        p.onProgress?.(m.offset);
        return;
      case 'error': {
        pending.delete(m.rid);
        const where = m.context?.line ? ` (line ${m.context.line})` : '';
        const err = new Error(`${m.code}: ${m.message}${where}`);
        err.code = m.code;
        p.reject(err);
        return;
      }
      default:
        pending.delete(m.rid);
        p.resolve(m);
    }
  }

  function request(message, hooks = {}) {
    if (!ws) return Promise.reject(new Error('Not connected to the server. Reload the page.'));
    return new Promise((resolve, reject) => {
      pending.set(message.rid, { resolve, reject, ...hooks });
      ws.send(JSON.stringify(message));
    });
  }

  function rid() {
    const r = nextRid;
    nextRid = nextRid >= 0xffffffff ? 1 : nextRid + 1;
    return r;
  }

  function uploadId() {
    if (crypto.randomUUID) return crypto.randomUUID();
    // crypto.randomUUID needs a secure context; a LAN address over http is not one
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  /** A chunk frame: 'C' 'S' kind 0 | rid u32 LE | offset f64 LE | payload. */
  function chunkFrame(requestId, offset, payload) {
    const frame = new Uint8Array(FRAME_HEADER + payload.byteLength);
    const view = new DataView(frame.buffer);
    frame[0] = 0x43;
    frame[1] = 0x53;
    frame[2] = KIND_CHUNK;
    view.setUint32(4, requestId, true);
    view.setFloat64(8, offset, true);
    frame.set(payload, FRAME_HEADER);
    return frame;
  }

  // ───────────────────────── uploading ─────────────────────────

  async function upload(file, name) {
    const r = rid();
    const total = file.size;
    let acked = 0;
    let wake = null;
    let failed = null;
    let ready;
    const readyAt = new Promise((resolve) => {
      ready = resolve;
    });
    const done = request(
      { type: 'upload', rid: r, id: uploadId(), name, format: 'csv', mode: 'replace', size: total, returnTable: false },
      {
        onReady: (offset) => ready(offset),
        onProgress: (offset) => {
          acked = offset;
          showProgress(offset, total);
          wake?.();
        },
      },
    );
    done.catch((err) => {
      failed = err;
      ready(0);
      wake?.();
    });
    let sent = await readyAt;
    const chunk = Math.max(1, Math.min(limits.chunkBytes, limits.maxFrameBytes - 64));
    while (!failed && sent < total) {
      while (!failed && sent - acked > limits.windowBytes) {
        await new Promise((resolve) => {
          wake = resolve;
        });
        wake = null;
      }
      if (failed || !ws) break;
      const piece = new Uint8Array(await file.slice(sent, Math.min(total, sent + chunk)).arrayBuffer());
      if (!ws) break;
      ws.send(chunkFrame(r, sent, piece));
      sent += piece.byteLength;
    }
    if (!failed && ws) ws.send(JSON.stringify({ type: 'end', rid: r, bytes: sent }));
    return done;
  }

  function showProgress(bytes, total) {
    ui.progressRow.hidden = false;
    ui.progress.max = Math.max(total, 1);
    ui.progress.value = Math.min(bytes, total);
    const percent = total > 0 ? Math.floor((100 * bytes) / total) : 100;
    ui.progressText.textContent = `${percent}% · ${bytesText(bytes)} of ${bytesText(total)}`;
  }

  function datasetName(fileName) {
    const base = fileName.replace(/\.[^.]*$/, '') || 'data';
    // the protocol's rule: 1–128 characters, no control characters
    return (
      base
        .replace(/\p{Cc}/gu, '_')
        .slice(0, NAME_MAX)
        .trim() || 'data'
    );
  }

  function choose(file) {
    chosen = file;
    ui.chosen.textContent = file ? `${file.name} — ${bytesText(file.size)}` : 'no file chosen';
    if (file) ui.name.value = datasetName(file.name);
    ui.upload.disabled = !file || !ws || busy;
  }

  async function send() {
    if (!chosen || busy) return;
    const name = ui.name.value.trim() || datasetName(chosen.name);
    if (name.length > NAME_MAX || /\p{Cc}/u.test(name)) {
      showProblem(`A dataset name has 1 to ${NAME_MAX} characters and no control characters.`);
      return;
    }
    if (chosen.size > limits.maxUploadBytes) {
      showProblem(
        `${chosen.name} is ${bytesText(chosen.size)}; this server takes at most ${bytesText(limits.maxUploadBytes)}.`,
      );
      return;
    }
    clearProblem();
    busy = true;
    ui.upload.disabled = true;
    ui.result.hidden = true;
    showProgress(0, chosen.size);
    try {
      const stored = await upload(chosen, name);
      showProgress(chosen.size, chosen.size);
      ui.progressText.textContent = `Done · ${bytesText(chosen.size)}`;
      showSummary(stored.summary);
      await refreshList();
    } catch (err) {
      ui.progressRow.hidden = true;
      showProblem(`Could not send ${chosen.name}: ${err.message}`);
    } finally {
      busy = false;
      ui.upload.disabled = !chosen || !ws;
    }
  }

  // ───────────────────────── showing results ─────────────────────────

  function isNumeric(type) {
    return type === 'integer' || type === 'number';
  }

  function showSummary(summary) {
    ui.summary.replaceChildren(
      el('strong', summary.name),
      document.createTextNode(
        ` — ${plural(summary.rows, 'row')} × ${plural(summary.columns.length, 'column')}, ${bytesText(summary.bytes)} in ${summary.ms} ms. First rows:`,
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

  async function refreshList() {
    const { datasets } = await request({ type: 'list', rid: rid() });
    const body = ui.datasets.tBodies[0];
    body.replaceChildren(
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

  // ───────────────────────── wiring ─────────────────────────

  ui.file.addEventListener('change', () => choose(ui.file.files[0] || null));
  ui.upload.addEventListener('click', () => void send());
  ui.refresh.addEventListener('click', () => void refreshList().catch((err) => showProblem(err.message)));
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
    const file = event.dataTransfer?.files?.[0];
    if (file) choose(file);
  });

  async function start() {
    const problem = await checkToken();
    if (problem) {
      setStatus('Not connected', 'bad');
      showProblem(problem);
      document.body.dataset.state = 'refused';
      return;
    }
    try {
      ws = await connect();
    } catch (err) {
      setStatus('Not connected', 'bad');
      showProblem(err.message);
      document.body.dataset.state = 'refused';
      return;
    }
    setStatus(`Connected to ${location.host}`, 'ok');
    ui.upload.disabled = !chosen;
    document.body.dataset.state = 'connected';
    await refreshList().catch((err) => showProblem(err.message));
  }

  void start();
})();
