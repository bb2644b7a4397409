/**
 * src/state.ts: one process-wide state, shared by every copy of the package.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as state from '../src/state.js';
import { processClientId, processState } from '../src/state.js';

declare module '../src/state.js' {
  interface ProcessState {
    stateTestBox: { made: number };
    stateTestFalsy: number | undefined;
    stateTestShared: string[];
  }
}

/** A second copy of src/state.ts, loaded fresh as a notebook's second import of the package would be. */
function freshCopy(): typeof state {
  const path = require.resolve('../src/state.js');
  const cached = require.cache[path];
  delete require.cache[path];
  try {
    const copy = require('../src/state.js') as typeof state;
    assert.notEqual(copy.processState, processState, 'a fresh copy, not the cached module');
    return copy;
  } finally {
    if (cached) require.cache[path] = cached;
  }
}

describe('processState', () => {
  it('creates the value once and returns the same value after', () => {
    let calls = 0;
    const init = () => {
      calls++;
      return { made: calls };
    };
    const first = processState('stateTestBox', init);
    const second = processState('stateTestBox', init);
    assert.equal(second, first);
    assert.equal(calls, 1);
    assert.deepEqual(first, { made: 1 });
  });

  it('keeps a falsy value rather than creating it again', () => {
    let calls = 0;
    assert.equal(
      processState('stateTestFalsy', () => {
        calls++;
        return undefined;
      }),
      undefined,
    );
    assert.equal(
      processState('stateTestFalsy', () => {
        calls++;
        return 7;
      }),
      undefined,
    );
    assert.equal(calls, 1);
  });

  it('is shared with a second copy of the module loaded fresh', () => {
    const shared = processState('stateTestShared', () => ['from the first copy']);
    const copy = freshCopy();
    const seen = copy.processState('stateTestShared', () => ['from the second copy']);
    assert.equal(seen, shared);
    // and the other way round: a value the copy creates is the one this copy finds
    const other = copy.processState('stateTestBox', () => ({ made: -1 }));
    assert.equal(
      processState('stateTestBox', () => ({ made: -2 })),
      other,
    );
  });
});

describe('processClientId', () => {
  it('is one random url-safe id per process, the same from every copy of the module', () => {
    const id = processClientId();
    assert.match(id, /^[A-Za-z0-9_-]{24}$/);
    assert.equal(processClientId(), id);
    assert.equal(freshCopy().processClientId(), id);
  });
});
