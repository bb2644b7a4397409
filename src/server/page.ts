/**
 * The upload page: plain HTTP on the server's own port.
 *
 *   GET /            index.html   (no token needed: the page holds no data)
 *   GET /app.js      the page's script — it speaks protocol v1 over a WebSocket
 *   GET /style.css, /favicon.svg
 *   GET /auth        204 when the request's token (Bearer header), Host and Origin
 *                    would pass the WebSocket upgrade, else 401/403 with the reason;
 *                    the page asks first because a browser sees a refused upgrade
 *                    only as a closed socket, never its status or message
 *   anything else    404; a non-GET method 405
 *
 * `npm run build` bundles `src/page/app.ts` with the protocol modules it imports
 * into `dist/page/app.js`, next to copies of the other files; the server serves
 * `dist/page/` whether it runs built or from `src/` under tsx.
 * Every answer carries a Content-Security-Policy without inline scripts or styles,
 * so a value the page shows could never run as code even if it were written as HTML
 * (the page writes every value with `textContent`).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { type AuthCheck, checkUpgrade } from './auth.js';

/** The page's files: URL path → [file, content type]. */
const ASSETS: Readonly<Record<string, readonly [string, string]>> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/index.html': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/style.css': ['style.css', 'text/css; charset=utf-8'],
  '/favicon.svg': ['favicon.svg', 'image/svg+xml'],
};

/** The Content-Security-Policy of every answer: own scripts and styles only, sockets to this server. */
export const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'";

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': PAGE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // the page's address carries the token: never send it anywhere as a Referer
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const cache = new Map<string, Buffer>();

/** Where the built page is: dist/page, beside this module when built, else from src/server under tsx. */
function assetDir(): string {
  const beside = join(__dirname, '..', 'page');
  return existsSync(join(beside, 'app.js')) ? beside : join(__dirname, '..', '..', 'dist', 'page');
}

function asset(file: string): Buffer {
  let content = cache.get(file);
  if (!content) {
    content = readFileSync(join(assetDir(), file));
    cache.set(file, content);
  }
  return content;
}

/**
 * Answer a plain HTTP request to the server's port: the upload page, its
 * assets and the token check.
 *
 * @param req - the request
 * @param res - the response
 * @param check - the server's upgrade settings (token, host, origins)
 * @returns whether the request was for the page (else the caller answers it)
 * @example
 * ```ts
 * http.on('request', (req, res) => { if (!handlePageRequest(req, res, check)) res.writeHead(426).end(); });
 * ```
 */
export function handlePageRequest(req: IncomingMessage, res: ServerResponse, check: AuthCheck): boolean {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  const found = ASSETS[path];
  if (!found && path !== '/auth') return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { ...SECURITY_HEADERS, allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
    res.end('method not allowed\n');
    return true;
  }
  if (path === '/auth') {
    const refusal = checkUpgrade(req, check);
    if (!refusal) {
      res.writeHead(204, SECURITY_HEADERS);
      res.end();
    } else {
      res.writeHead(refusal.status, {
        ...SECURITY_HEADERS,
        'content-type': 'application/json; charset=utf-8',
        'x-csvsocket-error': refusal.code,
      });
      res.end(JSON.stringify({ code: refusal.code, message: refusal.message }));
    }
    return true;
  }
  const [file, type] = found!;
  let body: Buffer;
  try {
    body = asset(file);
  } catch {
    res.writeHead(500, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' });
    res.end(`the upload page's ${file} is missing from ${assetDir()}; run npm run build\n`);
    return true;
  }
  res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': body.byteLength });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}

/**
 * The page's address for a server: `http(s)://host:port/?token=…`.
 *
 * @param wsUrl - the server's WebSocket URL (`server.url`)
 * @returns the same address with http(s)
 * @example
 * ```ts
 * pageUrl('ws://127.0.0.1:8851/?token=abc') // 'http://127.0.0.1:8851/?token=abc'
 * ```
 */
export function pageUrl(wsUrl: string): string {
  return wsUrl.replace(/^ws(s?):/, 'http$1:');
}
