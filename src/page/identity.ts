/**
 * The page's identity for dataset ownership: a random id kept in this origin's
 * localStorage, so a reload (or a second tab) of the same browser can replace
 * its own datasets, while another token holder cannot guess it.
 */

/** Where the id is kept in localStorage. */
export const CLIENT_ID_KEY = 'csvsocket.clientId';
const CLIENT_ID = /^[0-9a-f]{32}$/;

/** `bytes` random bytes as lower-case hex. */
export function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
}

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    // storage denied (a sandboxed frame, some privacy settings): the id lasts as long as the page
    return null;
  }
}

/**
 * This browser's client id for the page's server: 128 random bits as hex,
 * created on first use and kept in localStorage.
 *
 * @returns the id
 */
export function pageClientId(): string {
  const store = storage();
  const kept = store?.getItem(CLIENT_ID_KEY);
  if (kept && CLIENT_ID.test(kept)) return kept;
  const id = randomHex(16);
  try {
    store?.setItem(CLIENT_ID_KEY, id);
  } catch {
    // a full or read-only storage: use the id for this page only
  }
  return id;
}

/** A fresh id for one upload. */
export function uploadId(): string {
  // crypto.randomUUID needs a secure context; a LAN address over http is not one
  return typeof crypto.randomUUID === 'function' ? crypto.randomUUID() : randomHex(16);
}
