import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Clock, NEED_DATA, OUTBOUND_TRANSITIONS, Session, type SessionEvent, type Update } from '../../src/index.ts';

/** A session over a fixed history, with no I/O. */
function makeSession(history: Update[], options: Partial<ConstructorParameters<typeof Session>[0]> = {}) {
  const clock: Clock = Object.create(null);
  for (const u of history) clock[u[2]] = Math.max(clock[u[2]] ?? 0, u[1]);
  const session = new Session({
    id: 'A',
    localClock: () => clock,
    history: (peer) => history.filter((u) => !(peer[u[2]] && (peer[u[2]] as number) >= u[1])),
    ...options,
  });
  return session;
}

function drain(session: Session): SessionEvent[] {
  const events: SessionEvent[] = [];
  for (let ev = session.nextEvent(); ev !== NEED_DATA; ev = session.nextEvent()) events.push(ev);
  return events;
}

function output(session: Session): string {
  let text = '';
  for (let out = session.pollTransmit(); out !== null; out = session.pollTransmit()) text += out as string;
  return text;
}

const H: Update[] = [
  [['a', 1], 10, 'A'],
  [['b', 2], 11, 'A'],
];

describe('Session', () => {
  describe('start()', () => {
    it('queues only the header until the peer header arrives', () => {
      const s = makeSession(H);
      s.start();
      assert.equal(output(s), '{"id":"A","clock":{"A":11}}\n');
      assert.equal(s.state, 'AWAIT_HEADER');
    });

    it('sends history newer than the peer clock, then SYNC', () => {
      const s = makeSession(H);
      s.start();
      output(s);
      s.receive('{"id":"B","clock":{"A":10}}\n');
      assert.deepEqual(
        drain(s).map((e) => e.type),
        ['header'],
      );
      assert.equal(output(s), '[["b",2],11,"A"]\n"SYNC"\n');
      assert.deepEqual(
        drain(s).map((e) => e.type),
        ['syncSent'],
      );
      s.receive('"SYNC"\n');
      assert.deepEqual(
        drain(s).map((e) => e.type),
        ['syncReceived', 'synced'],
      );
      assert.equal(s.state, 'LIVE');
    });

    it('a read-only stream without `clock` dumps everything at once', () => {
      const s = makeSession(H, { writable: false });
      s.start();
      assert.equal(output(s), '{"id":"A","clock":{"A":11}}\n[["a",1],10,"A"]\n[["b",2],11,"A"]\n"SYNC"\n');
      assert.deepEqual(
        drain(s).map((e) => e.type),
        ['syncSent', 'synced'],
      );
    });

    it('readable:false sends nothing, even after the peer header', () => {
      const s = makeSession(H, { readable: false });
      s.start();
      s.receive('{"id":"B","clock":{}}\n');
      drain(s);
      assert.equal(output(s), '');
      assert.equal(s.sendUpdate([['c', 3], 12, 'A']), false);
    });

    it('readable:false with sendClock sends the header only', () => {
      const s = makeSession(H, { readable: false, sendClock: true });
      s.start();
      s.receive('{"id":"B","clock":{}}\n');
      drain(s);
      assert.equal(output(s), '{"id":"A","clock":{"A":11}}\n');
    });

    it('tail:false ends output after SYNC', () => {
      const s = makeSession(H, { tail: false, writable: false });
      s.start();
      output(s);
      assert.deepEqual(
        drain(s).map((e) => e.type),
        ['syncSent', 'synced', 'outputEnded'],
      );
      assert.equal(s.state, 'ENDED');
    });

    it('sends meta in the header', () => {
      const s = makeSession([], { meta: { role: 'hub' } });
      s.start();
      assert.equal(output(s), '{"id":"A","clock":{},"meta":{"role":"hub"}}\n');
    });
  });

  describe('receive()', () => {
    it('ignores a repeated header', () => {
      const s = makeSession(H);
      s.start();
      s.receive('{"id":"B","clock":{}}\n');
      output(s);
      drain(s);
      s.receive('{"id":"B","clock":{}}\n');
      assert.deepEqual(drain(s), []);
      assert.equal(output(s), '');
    });

    it('records received updates in the peer clock, so they are not echoed', () => {
      const s = makeSession([]);
      s.start();
      s.receive('{"id":"B","clock":{}}\n');
      output(s);
      drain(s);
      s.receive('[["x",1],20,"B"]\n');
      const [event] = drain(s);
      assert.equal(event?.type, 'update');
      assert.equal(s.sendUpdate([['x', 1], 20, 'B']), false);
      assert.equal(s.sendUpdate([['y', 1], 21, 'B']), true);
      assert.equal(s.sendUpdate([['y', 1], 21, 'B']), false, 'never twice over one link');
    });

    it('ignores updates on a writable:false stream', () => {
      const s = makeSession([], { writable: false, clock: true });
      s.start();
      s.receive('[["x",1],20,"B"]\n');
      assert.deepEqual(drain(s), []);
    });

    it('enters ERROR on garbage and refuses further input', () => {
      const s = makeSession([]);
      s.start();
      s.receive('garbage\n');
      const events = drain(s);
      assert.equal(events.length, 1);
      assert.equal(events[0]?.type, 'error');
      assert.equal(s.state, 'ERROR');
      assert.equal(s.pollTransmit(), null);
      assert.throws(() => s.receive('[]\n'), { code: 'ERR_SB_SESSION_ERRORED' });
    });

    it('emits synced exactly once even when SYNC arrives twice', () => {
      const s = makeSession([]);
      s.start();
      s.receive('{"id":"B","clock":{}}\n"SYNC"\n');
      output(s);
      s.receive('"SYNC"\n');
      const types = drain(s).map((e) => e.type);
      assert.equal(types.filter((t) => t === 'synced').length, 1);
    });
  });

  describe('pollTransmit()', () => {
    it('produces history lazily, in chunks of maxChunkBytes', () => {
      const many: Update[] = Array.from({ length: 1000 }, (_, i) => [[`k${i}`, i], i + 1, 'A']);
      let pulled = 0;
      const s = new Session({
        id: 'A',
        localClock: () => ({}),
        history: function* () {
          for (const u of many) {
            pulled++;
            yield u;
          }
        },
        limits: { maxChunkBytes: 1000 },
      });
      s.start();
      s.receive('{"id":"B","clock":{}}\n');
      drain(s);
      const first = s.pollTransmit() as string;
      assert.ok(first.length < 1100);
      assert.ok(pulled < 100, `pulled ${pulled} of 1000 for one chunk`);
      let rest = '';
      for (let out = s.pollTransmit(); out !== null; out = s.pollTransmit()) rest += out as string;
      assert.equal((first + rest).split('\n').length - 1, 1 + 1000 + 1);
    });

    it('delivers a live update offered while a history replay is under way, after SYNC', () => {
      const store: Update[] = Array.from({ length: 100 }, (_, i) => [[`k${i}`, i], i + 1, 'A']);
      const s = new Session({
        id: 'A',
        localClock: () => ({}),
        history: (peer) => store.filter((u) => !(peer[u[2]] && (peer[u[2]] as number) >= u[1])),
        limits: { maxChunkBytes: 100 },
      });
      s.start();
      s.receive('{"id":"B","clock":{}}\n');
      drain(s);
      let text = s.pollTransmit() as string;
      assert.equal(s.state, 'REPLAY');
      const late: Update = [['late', 1], 1000, 'A'];
      store.push(late);
      assert.equal(s.sendUpdate(late), false);
      text += output(s);
      const lines = text.trim().split('\n');
      assert.equal(lines.at(-1), '[["late",1],1000,"A"]');
      assert.ok(lines.indexOf('"SYNC"') < lines.length - 1);
    });

    it('falls back to catch-up from history when live output backs up', () => {
      const store: Update[] = [];
      const s = new Session({
        id: 'A',
        localClock: () => ({}),
        history: (peer) => store.filter((u) => !(peer[u[2]] && (peer[u[2]] as number) >= u[1])),
        limits: { maxBufferedBytes: 100 },
      });
      s.start();
      s.receive('{"id":"B","clock":{}}\n');
      drain(s);
      output(s);
      let queued = 0;
      for (let i = 1; i <= 50; i++) {
        const u: Update = [['k', i], i, 'A'];
        store.splice(0, store.length, u); // a last-write-wins store keeps only the newest
        if (s.sendUpdate(u)) queued++;
      }
      assert.ok(queued < 50, 'stopped queueing past maxBufferedBytes');
      assert.ok(s.bufferedBytes <= 100 + 30);
      const lines = output(s).trim().split('\n');
      assert.equal(lines.at(-1), '[["k",50],50,"A"]', 'the newest value still arrives');
      assert.equal(s.stats.catchUps, 1);
    });
  });

  describe('OUTBOUND_TRANSITIONS', () => {
    it('has a row for every state and no way out of ERROR', () => {
      assert.deepEqual(Object.keys(OUTBOUND_TRANSITIONS).sort(), ['AWAIT_HEADER', 'ENDED', 'ERROR', 'IDLE', 'LIVE', 'REPLAY', 'SILENT']);
      assert.deepEqual(OUTBOUND_TRANSITIONS.ERROR, {});
    });
  });
});
