import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fastServerMessage } from '../../src/protocol/fast.js';
import { ServerMessage } from '../../src/protocol/messages.js';

const summary = {
  name: 'small',
  rows: 2,
  columns: [
    { name: 'price', type: 'number', decimals: 2 },
    { name: 'when', type: 'date', format: '%d/%m/%Y', header: 'When?' },
    { name: 'note', type: 'string' },
  ],
  head: [
    ['1.50', '01/02/2024', null],
    ['2.00', '03/04/2024', ''],
  ],
  warnings: ['renamed "" to column_3'],
  bytes: 120,
  ms: 0.5,
  stored: '2026-12-02T03:00:00.000Z',
};

describe('fastServerMessage', () => {
  it('gives what the schema gives for the messages a client reads most', () => {
    const valid: unknown[] = [
      { type: 'ready', rid: 1, offset: 0 },
      { type: 'progress', rid: 7, offset: 1_048_576 },
      { type: 'stored', rid: 2, summary, table: true },
      { type: 'result', rid: 3, summary: { ...summary, rows: 0, head: [], warnings: [] }, table: false },
    ];
    for (const input of valid) {
      const copy = JSON.parse(JSON.stringify(input));
      assert.deepEqual(fastServerMessage(copy), ServerMessage.parse(input), JSON.stringify(input));
    }
  });

  it('leaves every other message, and anything the schema would refuse or strip, to the schema', () => {
    const other: unknown[] = [
      null,
      [],
      { type: 'welcome', protocol: 1, server: 'x', limits: {} },
      { type: 'error', code: 'CSVS_X', message: 'no' },
      { type: 'ready', rid: 0, offset: 0 },
      { type: 'ready', rid: 1, offset: -1 },
      { type: 'progress', rid: 1, offset: 1.5 },
      { type: 'progress', rid: 1 },
      { type: 'progress', rid: 1, offset: 2, extra: true },
      { type: 'stored', rid: 2, summary, table: 'yes' },
      { type: 'stored', rid: 2, summary: { ...summary, rows: 1.5 }, table: true },
      { type: 'stored', rid: 2, summary: { ...summary, extra: 1 }, table: true },
      { type: 'result', rid: 2, summary: { ...summary, head: [[1]] }, table: true },
      { type: 'result', rid: 2, summary: { ...summary, head: [null] }, table: true },
      { type: 'result', rid: 2, summary: { ...summary, warnings: [null] }, table: true },
      { type: 'result', rid: 2, summary: { ...summary, columns: [{ name: 'a', type: 'text' }] }, table: true },
      {
        type: 'result',
        rid: 2,
        summary: { ...summary, columns: [{ name: 'a', type: 'number', decimals: -1 }] },
        table: true,
      },
      { type: 'result', rid: 2, summary: { ...summary, columns: [{ name: 'a', type: 'string', x: 1 }] }, table: true },
      {
        type: 'result',
        rid: 2,
        summary: { ...summary, columns: [{ name: 'a', type: 'date', format: 'x'.repeat(201) }] },
        table: true,
      },
      JSON.parse(`{"type":"result","rid":2,"summary":${JSON.stringify(summary)},"table":true,"__proto__":{"x":1}}`),
    ];
    for (const input of other) {
      assert.equal(fastServerMessage(input), null, JSON.stringify(input));
    }
  });
});
