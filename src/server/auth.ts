/**
 * Checks made on every WebSocket upgrade, before any frame is read: the token
 * (constant-time), the Origin (browsers do not apply same-origin rules to
 * WebSockets, so any open page could otherwise connect) and the Host
 * (DNS rebinding).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ErrorCode } from '../errors.js';
import { TOKEN_SUBPROTOCOL_PREFIX } from '../protocol/messages.js';

/** What the upgrade check needs to know about the server. */
export interface AuthCheck {
  token: string | null;
  host: string;
  port: number;
  allowOrigins: string[];
  allowHosts: string[];
}

/** Why an upgrade was refused. */
export interface Refusal {
  status: 401 | 403;
  code: string;
  message: string;
}

/** A new random token: 144 bits, URL-safe. */
export function newToken(): string {
  return randomBytes(18).toString('base64url');
}

/**
 * Whether `host` names the loopback interface.
 *
 * @param host - a host name or address, with or without brackets
 */
export function isLoopbackHost(host: string): boolean {
  let h = host.replace(/^\[|\]$/g, '').toLowerCase();
  // IPv4-mapped IPv6 (::ffff:127.0.0.1) is the IPv4 address; the long form of ::1 is ::1
  h = h.replace(/^(?:0{0,4}:){2}ffff:(?=\d+\.)/, '').replace(/^::ffff:(?=\d+\.)/, '');
  if (/^(?:0{1,4}:){7}0{0,3}1$/.test(h)) return true;
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h.endsWith('.localhost');
}

/**
 * The warning a server bound to `host` deserves, if any: off loopback without
 * TLS, the token and the data cross the network in clear text.
 *
 * @param host - the interface the server binds
 * @param secure - whether TLS is on
 * @returns the warning, or null when there is nothing to warn about
 */
export function exposureWarning(host: string, secure: boolean): string | null {
  if (secure || isLoopbackHost(host)) return null;
  return `listening on ${host} without TLS: the token and the data cross the network in clear text (use --tls-cert/--tls-key)`;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Compare two secrets in constant time (hashing first makes lengths equal). */
export function sameToken(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** The token a request offers: `?token=`, `Authorization: Bearer`, or a `csvsocket.token.` subprotocol. */
export function offeredToken(req: IncomingMessage): string | null {
  const url = new URL(req.url ?? '/', 'http://x');
  const query = url.searchParams.get('token');
  if (query) return query;
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  const protocols = req.headers['sec-websocket-protocol'];
  if (typeof protocols === 'string') {
    for (const p of protocols.split(',')) {
      const t = p.trim();
      if (t.startsWith(TOKEN_SUBPROTOCOL_PREFIX)) return t.slice(TOKEN_SUBPROTOCOL_PREFIX.length);
    }
  }
  return null;
}

function hostName(hostHeader: string): string {
  // "[::1]:8851" → "[::1]", "localhost:8851" → "localhost"
  const m = /^(\[[^\]]*\]|[^:]*)(?::\d+)?$/.exec(hostHeader.trim());
  return (m?.[1] ?? hostHeader).toLowerCase();
}

/**
 * Check an upgrade request.
 *
 * @param req - the HTTP upgrade request
 * @param check - the server's settings
 * @returns null to accept, or the refusal to answer with
 */
export function checkUpgrade(req: IncomingMessage, check: AuthCheck): Refusal | null {
  const hostHeader = req.headers.host ?? '';
  const host = hostName(hostHeader);
  if (isLoopbackHost(check.host)) {
    const allowed = isLoopbackHost(host) || check.allowHosts.map((h) => h.toLowerCase()).includes(host);
    if (!allowed) {
      return {
        status: 403,
        code: ErrorCode.AUTH_FORBIDDEN_HOST,
        message: `Host "${hostHeader.slice(0, 100)}" is not this server's; a loopback server answers only to localhost names (allowHosts adds more)`,
      };
    }
  }
  const origin = req.headers.origin;
  if (origin !== undefined) {
    const own = [`http://${hostHeader}`, `https://${hostHeader}`];
    if (!own.includes(origin) && !check.allowOrigins.includes(origin)) {
      return {
        status: 403,
        code: ErrorCode.AUTH_FORBIDDEN_ORIGIN,
        message: `browser origin ${JSON.stringify(origin.slice(0, 100))} may not connect; only the server's own page (or allowOrigins) may`,
      };
    }
  }
  if (check.token !== null) {
    const offered = offeredToken(req);
    if (offered === null || !sameToken(offered, check.token)) {
      return {
        status: 401,
        code: ErrorCode.AUTH_REQUIRED,
        message:
          offered === null
            ? 'this server needs a token: use the URL the server printed (…/?token=…) or --token'
            : 'the token is wrong: use the URL the server printed (…/?token=…)',
      };
    }
  }
  return null;
}
