/**
 * Process-wide state, in one place.
 *
 * A notebook kernel may load two copies of the package (the user's import and
 * a second one resolved from elsewhere), yet some things must be one per
 * process: the server a re-run cell finds again, the client identity the server
 * trusts as its owner, the kernel hooks patched once. They live in one object
 * under one global symbol. Each field is declared by the module that owns it,
 * by augmenting {@link ProcessState}:
 *
 * ```ts
 * declare module '../state.js' {
 *   interface ProcessState { servers: Map<string, Promise<Registered>> }
 * }
 * const servers = () => processState('servers', () => new Map());
 * ```
 *
 * so every reader goes through a typed key, and a renamed field is a type error
 * rather than a silent miss. Internal to the package.
 */

import { randomBytes } from 'node:crypto';

// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging in the owning modules
export interface ProcessState {}

const KEY = Symbol.for('csvsocket.process');

/**
 * The process-wide value under `key`, created with `init` on first use.
 * @internal
 */
export function processState<K extends keyof ProcessState>(key: K, init: () => ProcessState[K]): ProcessState[K] {
  const holder = globalThis as { [KEY]?: Partial<ProcessState> };
  holder[KEY] ??= {};
  const state = holder[KEY];
  if (!Object.hasOwn(state, key)) state[key] = init();
  return state[key] as ProcessState[K];
}

declare module './state.js' {
  interface ProcessState {
    /** the client identity of this process; the server treats it as the owner of everything */
    clientId: string;
  }
}

/**
 * This process's client identity, shared by every copy of the package: clients
 * from the server's own process (a notebook's send()) own every dataset.
 * @internal
 */
export function processClientId(): string {
  return processState('clientId', () => randomBytes(18).toString('base64url'));
}
