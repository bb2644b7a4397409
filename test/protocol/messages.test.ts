import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolError } from '../../src/errors.js';
import { MAX_TYPE_OVERRIDES, parseClientMessage, parseServerMessage, ridOf } from '../../src/protocol/messages.js';
import { rejectsWithCode } from '../helpers.js';

describe('protocol', () => {
  describe('#parseClientMessage', () => {
    it('fills defaults of an upload', () => {
      const m = parseClientMessage('{"type":"upload","rid":1,"id":"u1","name":"students"}');
      assert.equal(m.type, 'upload');
      if (m.type !== 'upload') return;
      assert.equal(m.format, 'csv');
      assert.equal(m.mode, 'replace');
      assert.equal(m.returnTable, true);
    });

    it('names the path of what is wrong', async () => {
      await rejectsWithCode(
        () => parseClientMessage('{"type":"upload","rid":0,"id":"u","name":"x"}'),
        'CSVS_PROTOCOL_BAD_MESSAGE',
        /"rid"/,
      );
      await rejectsWithCode(() => parseClientMessage('{"type":"nope","rid":1}'), 'CSVS_PROTOCOL_BAD_MESSAGE', /"nope"/);
      await rejectsWithCode(
        () => parseClientMessage('{"type":"list","rid":1,"extra":true}'),
        'CSVS_PROTOCOL_BAD_MESSAGE',
      );
      await rejectsWithCode(() => parseClientMessage('[1,2]'), 'CSVS_PROTOCOL_BAD_MESSAGE');
      await rejectsWithCode(
        () => parseClientMessage('{"type":"upload","rid":1,"id":"u","name":""}'),
        'CSVS_PROTOCOL_BAD_MESSAGE',
        /"name"/,
      );
    });

    it('checks type overrides to the first bad one, and at most MAX_TYPE_OVERRIDES of them', async () => {
      const upload = (types: unknown) => JSON.stringify({ type: 'upload', rid: 1, id: 'u', name: 'x', types });
      const ok = parseClientMessage(upload({ a: 'integer', b: 'date:%d/%m/%Y', constructor: 'string' }));
      assert.deepEqual(ok.type === 'upload' && ok.types, { a: 'integer', b: 'date:%d/%m/%Y', constructor: 'string' });
      await rejectsWithCode(() => parseClientMessage(upload({ a: 'float' })), 'CSVS_PROTOCOL_BAD_MESSAGE', /"types"/);
      await rejectsWithCode(() => parseClientMessage(upload(['integer'])), 'CSVS_PROTOCOL_BAD_MESSAGE', /"types"/);
      await rejectsWithCode(
        () => parseClientMessage(upload({ a: `date:${'%Y'.repeat(100)}` })),
        'CSVS_PROTOCOL_BAD_MESSAGE',
        /at most 200 characters/,
      );
      // 100,000 bad entries held the event loop 2.5 s (zod kept an error per union branch per entry)
      const many = Object.fromEntries(Array.from({ length: MAX_TYPE_OVERRIDES + 1 }, (_, i) => [`c${i}`, 0]));
      await rejectsWithCode(() => parseClientMessage(upload(many)), 'CSVS_PROTOCOL_BAD_MESSAGE', /"types"/);
    });

    it('never lets a __proto__ key reach an object prototype', async () => {
      await rejectsWithCode(
        () => parseClientMessage('{"type":"list","rid":1,"__proto__":{"polluted":1}}'),
        'CSVS_PROTOCOL_BAD_MESSAGE',
      );
      assert.equal(({} as { polluted?: number }).polluted, undefined);
    });
  });

  describe('#ridOf', () => {
    it('finds the request id of a message that failed validation', () => {
      const text = '{"type":"upload","rid":7,"id":"u","name":""}';
      assert.throws(() => parseClientMessage(text), ProtocolError);
      assert.equal(ridOf(text), 7);
      assert.equal(ridOf('{"rid":4294967295}'), 0xffffffff);
    });

    it('gives undefined for no JSON object or no valid rid', () => {
      for (const text of ['not json', '[1]', 'null', '{"rid":0}', '{"rid":1.5}', '{"rid":"3"}', '{"rid":4294967296}']) {
        assert.equal(ridOf(text), undefined, text);
      }
      // a "rid" inside a string value is not the message's rid
      assert.equal(ridOf('{"name":"\\"rid\\":9"}'), undefined);
    });
  });

  describe('#parseServerMessage', () => {
    it('accepts an error with its context', () => {
      const m = parseServerMessage(
        '{"type":"error","rid":3,"code":"CSVS_PARSE_RAGGED_ROW","message":"m","context":{"line":7}}',
      );
      assert.equal(m.type, 'error');
    });
  });
});
