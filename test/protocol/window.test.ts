import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SendWindow } from '../../src/protocol/window.js';

describe('SendWindow', () => {
  describe('#room', () => {
    it('lets a sender on while it is at most windowBytes ahead of the acknowledged offset', async () => {
      const flow = new SendWindow(10, 100);
      assert.equal(await flow.room(100), true);
      assert.equal(await flow.room(110), true);
    });

    it('waits past the window until an acknowledgement makes room', async () => {
      const flow = new SendWindow(10);
      let resumed = false;
      const waiting = flow.room(25).then((ok) => {
        resumed = true;
        return ok;
      });
      await new Promise((r) => setImmediate(r));
      assert.equal(resumed, false);
      flow.ack(10); // 25 − 10 = 15 > 10: still waiting
      await new Promise((r) => setImmediate(r));
      assert.equal(resumed, false);
      flow.ack(15);
      assert.equal(await waiting, true);
    });

    it('answers false once stopped, also to a sender that was waiting', async () => {
      const flow = new SendWindow(1);
      const waiting = flow.room(50);
      flow.stop();
      assert.equal(await waiting, false);
      assert.equal(await flow.room(0), false);
      assert.equal(flow.isStopped, true);
    });

    it('ignores an acknowledgement older than the last one', async () => {
      const flow = new SendWindow(5);
      flow.ack(20);
      flow.ack(3);
      assert.equal(await flow.room(25), true);
    });
  });
});
