import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pandasJSONToCSV } from '../../src/protocol/legacy.js';
import {
  decodeFrame,
  encodeFrame,
  FRAME_HEADER_BYTES,
  FrameKind,
  parseClientMessage,
  parseServerMessage,
} from '../../src/protocol/messages.js';
import { rejectsWithCode } from '../helpers.js';

describe('protocol', () => {
  describe('#encodeFrame / #decodeFrame', () => {
    it('round-trips kind, request id, offset and payload', () => {
      const payload = Buffer.from('a,b\n1,2\n');
      const frame = decodeFrame(encodeFrame(FrameKind.chunk, 0xfffffffe, 2 ** 40 + 3, payload));
      assert.equal(frame.kind, FrameKind.chunk);
      assert.equal(frame.rid, 0xfffffffe);
      assert.equal(frame.offset, 2 ** 40 + 3);
      assert.deepEqual(Buffer.from(frame.payload), payload);
    });

    it('rejects a frame without the magic or too short', async () => {
      await rejectsWithCode(
        () => decodeFrame(Buffer.from('hello world, no header')),
        'CSVS_PROTOCOL_BAD_MESSAGE',
        /16-byte header/,
      );
      await rejectsWithCode(() => decodeFrame(Buffer.alloc(3)), 'CSVS_PROTOCOL_BAD_MESSAGE');
    });

    it('rejects an unknown kind and a bad offset', async () => {
      const bad = encodeFrame(FrameKind.chunk, 1, 0, Buffer.alloc(0));
      bad[2] = 9;
      await rejectsWithCode(() => decodeFrame(bad), 'CSVS_PROTOCOL_BAD_MESSAGE', /kind 9/);
      const neg = encodeFrame(FrameKind.chunk, 1, 0, Buffer.alloc(0));
      neg.writeDoubleLE(-1, 8);
      await rejectsWithCode(() => decodeFrame(neg), 'CSVS_PROTOCOL_BAD_OFFSET');
      neg.writeDoubleLE(Number.NaN, 8);
      await rejectsWithCode(() => decodeFrame(neg), 'CSVS_PROTOCOL_BAD_OFFSET');
      assert.equal(FRAME_HEADER_BYTES, 16);
    });
  });

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

    it('never lets a __proto__ key reach an object prototype', async () => {
      await rejectsWithCode(
        () => parseClientMessage('{"type":"list","rid":1,"__proto__":{"polluted":1}}'),
        'CSVS_PROTOCOL_BAD_MESSAGE',
      );
      assert.equal(({} as { polluted?: number }).polluted, undefined);
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

describe('legacy', () => {
  describe('#pandasJSONToCSV', () => {
    it("rebuilds pandas' orient-columns JSON as CSV, quoting where needed", () => {
      const csv = pandasJSONToCSV(
        JSON.stringify({ id: { 0: 1, 1: 2 }, name: { 0: 'a, "b"', 1: null }, ok: { 0: true, 1: false } }),
      );
      assert.equal(csv, 'id,name,ok\n1,"a, ""b""",true\n2,,false\n');
    });

    it('rejects JSON of another shape with CSVS_PARSE_BAD_JSON', async () => {
      await rejectsWithCode(() => pandasJSONToCSV('[1,2,3]'), 'CSVS_PARSE_BAD_JSON');
      await rejectsWithCode(() => pandasJSONToCSV('{"a":[1,2]}'), 'CSVS_PARSE_BAD_JSON', /orient "columns"/);
      await rejectsWithCode(() => pandasJSONToCSV('{"a":'), 'CSVS_PARSE_BAD_JSON');
      await rejectsWithCode(() => pandasJSONToCSV('{}'), 'CSVS_PARSE_EMPTY');
    });
  });
});
