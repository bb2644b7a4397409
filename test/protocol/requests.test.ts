import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConnectionError, CsvParseError, type CsvSocketError, LimitError } from '../../src/errors.js';
import type { ServerMessage } from '../../src/protocol/messages.js';
import { type PendingRequest, Requests } from '../../src/protocol/requests.js';

interface Waiting extends PendingRequest {
  events: string[];
  error?: CsvSocketError;
}

function waiting(): Waiting {
  const w: Waiting = {
    events: [],
    reject: (err) => {
      w.error = err;
    },
    onReady: (offset) => w.events.push(`ready ${offset}`),
    onProgress: (offset) => w.events.push(`progress ${offset}`),
  };
  return w;
}

describe('Requests', () => {
  describe('#nextRid', () => {
    it('counts from 1', () => {
      const requests = new Requests<Waiting>();
      assert.deepEqual([requests.nextRid(), requests.nextRid(), requests.nextRid()], [1, 2, 3]);
    });
  });

  describe('#route', () => {
    it('sends ready and progress to the hooks and keeps waiting', () => {
      const requests = new Requests<Waiting>();
      const w = waiting();
      requests.add(5, w);
      assert.equal(requests.route({ type: 'ready', rid: 5, offset: 0 }), undefined);
      assert.equal(requests.route({ type: 'progress', rid: 5, offset: 1024 }), undefined);
      assert.deepEqual(w.events, ['ready 0', 'progress 1024']);
      assert.equal(requests.get(5), w);
    });

    it('rejects on an error with the class of its code, its message and context, and forgets the request', () => {
      const requests = new Requests<Waiting>();
      const w = waiting();
      requests.add(2, w);
      const error: ServerMessage = {
        type: 'error',
        rid: 2,
        code: 'CSVS_PARSE_RAGGED_ROW',
        message: 'row 3 has 3 fields',
        context: { line: 3 },
      };
      assert.equal(requests.route(error), undefined);
      assert.ok(w.error instanceof CsvParseError);
      assert.equal(w.error.code, 'CSVS_PARSE_RAGGED_ROW');
      assert.equal(w.error.message, 'row 3 has 3 fields');
      assert.equal(w.error.line, 3);
      assert.equal(requests.get(2), undefined);
    });

    it('returns the request a final answer belongs to, still waiting, for the caller to settle', () => {
      const requests = new Requests<Waiting>();
      const w = waiting();
      requests.add(9, w);
      assert.equal(requests.route({ type: 'datasets', rid: 9, datasets: [] }), w);
      assert.equal(requests.take(9), w);
      assert.equal(requests.get(9), undefined);
    });

    it('ignores a welcome, an error without rid and answers to unknown requests', () => {
      const requests = new Requests<Waiting>();
      const w = waiting();
      requests.add(1, w);
      const limits = { maxFrameBytes: 1, maxUploadBytes: 1, chunkBytes: 1, windowBytes: 1 };
      assert.equal(requests.route({ type: 'welcome', protocol: 1, server: 's', limits }), undefined);
      assert.equal(requests.route({ type: 'error', code: 'CSVS_INTERNAL', message: 'x' }), undefined);
      assert.equal(requests.route({ type: 'progress', rid: 77, offset: 1 }), undefined);
      assert.deepEqual(w.events, []);
      assert.equal(w.error, undefined);
    });
  });

  describe('#rejectAll', () => {
    it('fails every waiting request, with one error or one per request', () => {
      const requests = new Requests<Waiting>();
      const [a, b] = [waiting(), waiting()];
      requests.add(1, a);
      requests.add(2, b);
      requests.rejectAll((w) =>
        w === a ? new ConnectionError('CSVS_CONNECTION_CLOSED', 'a') : new LimitError('CSVS_LIMIT_ROWS', 'b'),
      );
      assert.equal(a.error?.message, 'a');
      assert.ok(b.error instanceof LimitError);
      assert.equal(requests.get(1), undefined);
      requests.rejectAll(new ConnectionError('CSVS_CONNECTION_CLOSED', 'none left'));
    });
  });
});
