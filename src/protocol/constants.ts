/**
 * The protocol's fixed names and numbers, in one place: the Node client, the
 * server and the browser page all import them from here. No imports, no Node
 * APIs: the page bundles this file.
 */

/** The protocol version this package speaks. */
export const PROTOCOL_VERSION = 1;
/** The WebSocket subprotocol a csvsocket client offers. */
export const SUBPROTOCOL = 'csvsocket.v1';
/** Prefix of the subprotocol that carries a token, for browsers, which cannot set headers. */
export const TOKEN_SUBPROTOCOL_PREFIX = 'csvsocket.token.';
/** The plain-text reply of the original design, kept for its clients. */
export const LEGACY_REPLY = 'CSV file received and processed!';
/** The port of the original design, the default of every server and client. */
export const DEFAULT_PORT = 8851;
/** The server URL a client uses by default (`$CSVSOCKET_URL` comes first). */
export const DEFAULT_URL = `ws://127.0.0.1:${DEFAULT_PORT}/`;
/** The largest request id; ids wrap around to 1 after it. */
export const MAX_RID = 0xffffffff;
