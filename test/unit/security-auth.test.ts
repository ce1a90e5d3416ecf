import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { describe, it } from 'node:test';
import { Model, NEED_DATA, type ReplicationStream, Session, type SessionEvent, type Update } from '../../src/index.ts';
import { AUTH_TRANSITIONS } from '../../src/protocol/session.ts';
import { type AuthHandler, createAuth, ed25519, generateKeyPair, rsa, type Security } from '../../src/security/index.ts';
import { capture, connect, settle, until, withTimeout } from '../helpers/streams.ts';

const lines = (out: string | unknown[] | null): unknown[] =>
  typeof out === 'string'
    ? out
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as unknown)
    : [];

function drain(session: Session): SessionEvent[] {
  const events: SessionEvent[] = [];
  for (let e = session.nextEvent(); e !== NEED_DATA; e = session.nextEvent()) events.push(e);
  return events;
}

function output(session: Session): unknown[] {
  const all: unknown[] = [];
  for (let out = session.pollTransmit(); out !== null; out = session.pollTransmit()) all.push(...lines(out));
  return all;
}

/** A session for `security`'s id, with a history of `history` updates. */
function sessionFor(security: Security, auth: AuthHandler, history: Update[] = []): Session {
  const session = new Session({ id: security.id, localClock: () => ({}), history: () => history, auth, sourcesVerified: true });
  session.start();
  return session;
}

const line = (value: unknown) => `${JSON.stringify(value)}\n`;

/** A model that signs with `security` and authenticates with `options`. */
function node(security: Security, options: Parameters<typeof createAuth>[0] = {}): Model {
  return new Model({ ...security, auth: createAuth({ security, ...options }) });
}

describe('peer authentication', () => {
  describe('Session (sans-IO)', () => {
    it('offers a fresh challenge in the header; answers an offer with a proof after the header and before history', () => {
      const me = ed25519();
      const peer = ed25519();
      const update: Update = [['k', 1], 5, me.id];
      update.push(me.sign(update));
      const session = sessionFor(me, createAuth({ security: me }), [update]);
      assert.equal(session.authState, 'OFFERED');
      const [header] = output(session) as [{ id: string; auth: { v: number; challenge: string; scheme: string } }];
      assert.equal(header.auth.v, 1);
      assert.equal(header.auth.scheme, 'ed25519');
      assert.match(header.auth.challenge, /^[A-Za-z0-9_-]{43}$/);
      assert.notEqual(sessionFor(me, createAuth({ security: me })).remoteHeader, header.auth.challenge);
      session.receive(line({ id: peer.id, clock: {}, auth: { v: 1, challenge: 'c'.repeat(43) } }));
      drain(session);
      assert.equal(session.authState, 'AWAIT_PROOF');
      const sent = output(session);
      assert.equal(sent.length, 3, 'proof, history, SYNC');
      const proof = (sent[0] as { auth: { id: string; sig: string } }).auth;
      assert.equal(proof.id, me.id);
      assert.deepEqual(sent[1], update);
      assert.equal(sent[2], 'SYNC');
    });

    it('sends no proof to a peer that did not offer (an old peer would take it for a broken header)', () => {
      const me = ed25519();
      const session = sessionFor(me, createAuth({ security: me }));
      output(session);
      session.receive(line({ id: 'OLD', clock: {} }));
      drain(session);
      assert.equal(session.authState, 'ANONYMOUS');
      assert.deepEqual(output(session), ['SYNC']);
      for (const bad of [{ v: 2, challenge: 'x' }, { v: 1 }, 'yes', { v: 1, challenge: 'x'.repeat(20_000) }]) {
        const s = sessionFor(me, createAuth({ security: me }));
        output(s);
        s.receive(line({ id: 'P', clock: {}, auth: bad }));
        drain(s);
        assert.equal(s.authState, 'ANONYMOUS', `malformed offer ${JSON.stringify(bad).slice(0, 30)} is no offer`);
        assert.deepEqual(output(s), ['SYNC']);
      }
    });

    it('authenticates a valid proof; the header id must match the proof', () => {
      const me = ed25519();
      const peer = ed25519();
      const session = sessionFor(me, createAuth({ security: me }));
      const [header] = output(session) as [{ auth: { challenge: string } }];
      session.receive(line({ id: peer.id, clock: {}, auth: { v: 1, challenge: 'c'.repeat(43) } }));
      const proof = peer.proveAuth({ challenge: header.auth.challenge, id: peer.id, peer: me.id });
      session.receive(line({ auth: proof }));
      const events = drain(session);
      assert.deepEqual(
        events.map((e) => e.type),
        ['header', 'authenticated'],
      );
      assert.equal(session.peerId, peer.id);
      assert.equal(session.authState, 'AUTHENTICATED');
    });

    const attacks: Array<[string, (me: Security, victim: Security, attacker: Security, challenge: string) => unknown[]]> = [
      [
        'a header lying about its id (proof signed by another key)',
        (me, victim, attacker, challenge) => [
          { id: victim.id, clock: {}, auth: { v: 1, challenge: 'c'.repeat(43) } },
          { auth: { ...attacker.proveAuth({ challenge, id: attacker.id, peer: me.id }), id: victim.id } },
        ],
      ],
      [
        'a proof for another id than the header',
        (me, victim, attacker, challenge) => [
          { id: victim.id, clock: {}, auth: { v: 1, challenge: 'c'.repeat(43) } },
          { auth: attacker.proveAuth({ challenge, id: attacker.id, peer: me.id }) },
        ],
      ],
      [
        'a proof over a stale challenge (replayed)',
        (me, _victim, attacker) => [
          { id: attacker.id, clock: {}, auth: { v: 1, challenge: 'c'.repeat(43) } },
          { auth: attacker.proveAuth({ challenge: 'stale'.repeat(8), id: attacker.id, peer: me.id }) },
        ],
      ],
      [
        'a proof made for another verifier',
        (_me, victim, attacker, challenge) => [
          { id: attacker.id, clock: {}, auth: { v: 1, challenge: 'c'.repeat(43) } },
          { auth: attacker.proveAuth({ challenge, id: attacker.id, peer: victim.id }) },
        ],
      ],
      [
        'a truncated proof signature',
        (me, _victim, attacker, challenge) => {
          const proof = attacker.proveAuth({ challenge, id: attacker.id, peer: me.id });
          return [
            { id: attacker.id, clock: {}, auth: { v: 1, challenge: 'c'.repeat(43) } },
            { auth: { ...proof, sig: proof.sig.slice(0, 80) } },
          ];
        },
      ],
      [
        'an RSA-keyed proof whose key does not hash to the claimed id (wrong key type for the id)',
        (me, victim, _attacker, challenge) => {
          const pair = generateKeyPair({ scheme: 'rsa-sha1', bits: 1024 });
          const legacy = rsa({}, pair.privateKeyPem, pair.publicKeyPem);
          const proof = legacy.proveAuth({ challenge, id: legacy.id, peer: me.id });
          return [{ id: victim.id, clock: {}, auth: { v: 1, challenge: 'c'.repeat(43) } }, { auth: { ...proof, id: victim.id } }];
        },
      ],
      [
        'a malformed proof',
        (_me, victim) => [{ id: victim.id, clock: {}, auth: { v: 1, challenge: 'c'.repeat(43) } }, { auth: { v: 1, id: victim.id } }],
      ],
      [
        'a second proof after a valid one',
        (me, _victim, attacker, challenge) => {
          const proof = attacker.proveAuth({ challenge, id: attacker.id, peer: me.id });
          return [{ id: attacker.id, clock: {}, auth: { v: 1, challenge: 'c'.repeat(43) } }, { auth: proof }, { auth: proof }];
        },
      ],
      [
        'a proof from a peer that never offered',
        (me, _victim, attacker, challenge) => [
          { id: attacker.id, clock: {} },
          { auth: attacker.proveAuth({ challenge, id: attacker.id, peer: me.id }) },
        ],
      ],
    ];
    for (const [name, script] of attacks) {
      it(`fails with ERR_SB_AUTH_FAILED on ${name}, and reads nothing after it`, () => {
        const me = ed25519();
        const victim = ed25519();
        const attacker = ed25519();
        const session = sessionFor(me, createAuth({ security: me }));
        const [header] = output(session) as [{ auth: { challenge: string } }];
        const forged: Update = [['k', 'after'], 5, attacker.id];
        forged.push(attacker.sign(forged));
        for (const message of script(me, victim, attacker, header.auth.challenge)) session.receive(line(message));
        assert.throws(() => session.receive(line(forged)), { code: 'ERR_SB_SESSION_ERRORED' });
        const events = drain(session);
        const error = events.find((e) => e.type === 'error') as { error: { code: string } } | undefined;
        assert.equal(error?.error.code, 'ERR_SB_AUTH_FAILED');
        assert.equal(session.peerId === null || name.startsWith('a second'), true);
        assert.equal(session.authState, 'FAILED');
        assert.equal(session.state, 'ERROR');
        assert.ok(!events.some((e) => e.type === 'update'), 'no update after the failure');
      });
    }

    it('a session without auth refuses an unsolicited proof', () => {
      const session = new Session({ id: 'ME', localClock: () => ({}), history: () => [] });
      session.start();
      session.receive(line({ id: 'P', clock: {} }));
      session.receive(line({ auth: { v: 1, id: 'P', sig: 'x' } }));
      const error = drain(session).find((e) => e.type === 'error') as { error: { code: string } } | undefined;
      assert.equal(error?.error.code, 'ERR_SB_AUTH_FAILED');
    });

    it('required: a peer that offers nothing is refused with ERR_SB_AUTH_REQUIRED', () => {
      const me = ed25519();
      const session = sessionFor(me, createAuth({ security: me, required: true }));
      session.receive(line({ id: 'OLD', clock: {} }));
      const error = drain(session).find((e) => e.type === 'error') as { error: { code: string } } | undefined;
      assert.equal(error?.error.code, 'ERR_SB_AUTH_REQUIRED');
    });

    it('a refused update becomes a refused event (never an update event) and is counted', () => {
      const me = ed25519();
      const session = sessionFor(me, createAuth({ security: me }));
      session.receive(line({ id: 'ANON', clock: {} }));
      session.receive(line([['k', 1], 5, 'ANON']));
      const events = drain(session);
      const refused = events.find((e) => e.type === 'refused') as { error: { code: string; message: string } };
      assert.equal(refused.error.code, 'ERR_SB_WRITE_DENIED');
      assert.match(refused.error.message, /anonymous/);
      assert.ok(!events.some((e) => e.type === 'update'));
      assert.equal(session.stats.updatesRefused, 1);
    });

    it('every auth transition is in AUTH_TRANSITIONS, drawn in docs/security.md', () => {
      const doc = readFileSync(new URL('../../docs/security.md', import.meta.url), 'utf8');
      const block = doc.split('<!-- auth-diagram:start -->\n')[1]?.split('\n<!-- auth-diagram:end -->')[0];
      const expected = ['```mermaid', 'stateDiagram-v2', '  [*] --> OFF'];
      for (const [from, row] of Object.entries(AUTH_TRANSITIONS))
        for (const [trigger, to] of Object.entries(row)) expected.push(`  ${from} --> ${to}: ${trigger}`);
      expected.push('```');
      assert.equal(block, expected.join('\n'));
    });
  });

  describe('over streams', () => {
    it('both sides prove their ids; streams emit authenticated and expose peerId', async () => {
      const sa = ed25519();
      const sb = ed25519();
      const a = node(sa);
      const b = node(sb);
      const as = a.createStream();
      const bs = b.createStream();
      const authenticated = Promise.all([once(as, 'authenticated'), once(bs, 'authenticated')]);
      as.pipe(bs).pipe(as);
      const [[idSeenByA], [idSeenByB]] = await withTimeout(authenticated, 2000, 'authenticated');
      assert.equal(idSeenByA, sb.id);
      assert.equal(idSeenByB, sa.id);
      assert.equal(as.peerId, sb.id);
      assert.equal(bs.peerId, sa.id);
    });

    it('read-only for unknown peers: their updates are refused, reported, counted, never applied or relayed', async () => {
      const server = node(ed25519(), { writers: [] });
      const stranger = new Model('STRANGER'); // no keys, no auth: an old-style peer
      const watcher = new Model('WATCHER');
      await connect(server, watcher);
      stranger.set('spam', 1);
      const reported: unknown[][] = [];
      server.on('unauthorized_data', (...args) => reported.push(args));
      const { as: toStranger } = await connect(server, stranger);
      const streamReported: unknown[] = [];
      toStranger.on('unauthorized_data', (u) => streamReported.push(u));
      stranger.set('more', 2);
      await until(() => reported.length === 2);
      await settle();
      assert.equal(server.get('spam'), undefined);
      assert.equal(server.sources.STRANGER, undefined, 'clock unchanged');
      assert.equal(watcher.get('spam'), undefined, 'not relayed');
      assert.equal((reported[0] as unknown[])[1] && ((reported[0] as unknown[])[1] as { code: string }).code, 'ERR_SB_WRITE_DENIED');
      assert.equal(server.securityStats.unauthorized, 2);
      assert.equal(toStranger.session.stats.updatesRefused, 2);
      assert.equal(streamReported.length, 1, 'the live one; the first came before the listener');
      server.set('news', 'hello');
      await until(() => stranger.get('news') === 'hello', 2000, 'the stranger can still read');
    });

    it('writes only for an allow-list of ids', async () => {
      const alice = ed25519();
      const bob = ed25519();
      const server = node(ed25519(), { writers: [alice.id] });
      const a = node(alice);
      const b = node(bob);
      a.set('from', 'alice');
      b.set('from-bob', 'bob');
      await connect(server, a);
      await connect(server, b);
      await until(() => server.securityStats.unauthorized === 1);
      assert.equal(server.get('from'), 'alice');
      assert.equal(server.get('from-bob'), undefined);
      assert.equal(b.get('from'), 'alice', 'bob still reads');
    });

    it('writes only to keys under a prefix', async () => {
      const alice = ed25519();
      const server = node(ed25519(), { writePrefixes: (id) => [`users/${id}/`] });
      const a = node(alice);
      a.set(`users/${alice.id}/name`, 'Alice');
      a.set('users/someone-else/name', 'Mallory');
      a.set('global', 'x');
      await connect(server, a);
      await until(() => server.securityStats.unauthorized === 2);
      assert.deepEqual(server.keys(), [`users/${alice.id}/name`]);
    });

    it('a model-level auth is the default of every stream; auth: false turns it off', async () => {
      const server = node(ed25519(), { writers: [] });
      const peer = new Model(ed25519()); // signs, but does not authenticate
      peer.set('k', 1);
      await connect(server, peer, { auth: false });
      assert.equal(server.get('k'), 1);
    });

    it('RSA peers authenticate too, and a proven key is learnt so its updates verify', async () => {
      const pa = generateKeyPair({ scheme: 'rsa-sha1', bits: 1024 });
      const pb = generateKeyPair({ scheme: 'rsa-sha1', bits: 1024 });
      const sa = rsa({}, pa.privateKeyPem, pa.publicKeyPem);
      const keysOfB: Record<string, string> = {};
      const sb = rsa(keysOfB, pb.privateKeyPem, pb.publicKeyPem);
      const a = node(sa);
      const b = node(sb);
      a.set('k', 'signed by rsa');
      const { as, bs } = await connect(a, b);
      assert.equal(bs.peerId, sa.id);
      assert.equal(as.peerId, sb.id);
      assert.equal(keysOfB[sa.id], pa.publicKeyPem);
      assert.equal(b.get('k'), 'signed by rsa');
    });

    it('channel binding: proofs verify only when both ends bind the same bytes', async () => {
      const sa = ed25519();
      const sb = ed25519();
      const bound = (security: Security, binding: number) =>
        new Model({ ...security, auth: createAuth({ security, channelBinding: new Uint8Array(32).fill(binding), required: true }) });
      await connect(bound(sa, 1), bound(sb, 1));
      const a = bound(sa, 1);
      const b = bound(sb, 2);
      const as = a.createStream();
      const bs = b.createStream();
      as.pipe(bs).pipe(as);
      const [error] = (await withTimeout(once(as, 'error'), 2000, 'error')) as [{ code: string }];
      assert.equal(error.code, 'ERR_SB_AUTH_FAILED');
    });

    it('a replayed proof does not authenticate on a new connection', async () => {
      const victim = ed25519();
      const server = node(ed25519(), { writers: [victim.id] });
      // Record the victim's proof on a first connection.
      const v = node(victim);
      const vs = v.createStream();
      const recorded = capture(vs);
      const ss = server.createStream();
      vs.pipe(ss).pipe(vs);
      await withTimeout(once(ss, 'authenticated'), 2000, 'first connection');
      const proofLine = recorded.lines().find((l) => l.startsWith('{"auth"')) as string;
      // Replay header and proof on a second connection to the same server.
      const replay = server.createStream();
      const failed = once(replay, 'error');
      replay.write(`${recorded.lines()[0]}\n${proofLine}\n`);
      const [error] = (await withTimeout(failed, 2000, 'error')) as [{ code: string }];
      assert.equal(error.code, 'ERR_SB_AUTH_FAILED');
    });
  });

  describe('a three-node chain A → B → C', () => {
    /** Rewrites, on the wire from B to C, every update of `source`, with `mutate`. */
    class Tamper extends Transform {
      readonly #source: string;
      readonly #mutate: (u: unknown[]) => unknown[];
      #rest = '';
      constructor(source: string, mutate: (u: unknown[]) => unknown[]) {
        super();
        this.#source = source;
        this.#mutate = mutate;
      }
      override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
        const parts = (this.#rest + chunk.toString('utf8')).split('\n');
        this.#rest = parts.pop() as string;
        const out = parts.map((l) => {
          const v = JSON.parse(l) as unknown;
          return Array.isArray(v) && v[2] === this.#source ? JSON.stringify(this.#mutate(v)) : l;
        });
        cb(null, out.map((l) => `${l}\n`).join(''));
      }
    }

    it('the middle node relays signed updates it cannot forge', async () => {
      const sa = ed25519();
      const sb = ed25519();
      const sc = ed25519();
      const a = node(sa);
      const b = node(sb);
      const c = node(sc, { writers: [sa.id, sb.id] });
      a.set('x', 'from A');
      await connect(a, b);
      // B → C through a tamperer that alters every third update of A.
      let n = 0;
      const bs = b.createStream();
      const cs = c.createStream();
      const tamper = new Tamper(sa.id, (u) => (++n % 3 === 0 ? [['x', 'tampered by B'], u[1], u[2], u[3]] : u));
      const synced = once(cs, 'sync');
      bs.pipe(tamper).pipe(cs).pipe(bs);
      await withTimeout(synced, 2000, 'sync');
      assert.equal(cs.peerId, sb.id, 'C knows it talks to B');
      assert.equal(c.get('x'), 'from A', 'relayed and verified with no key exchange');
      a.set('y', 1);
      a.set('z', 2); // the third update of A that crosses B: altered
      await until(() => c.get('y') === 1 && c.securityStats.unverified === 1);
      await settle();
      assert.equal(c.get('z'), undefined, 'the altered update is refused');
      // B forges an update in A's name, signed with its own key, and sends it on: C refuses it
      // and its clock for A does not move.
      const clockOfA = c.sources[sa.id];
      const forged: Update = [['x', 'forged by B'], Date.now() + 1000, sa.id];
      forged.push(sb.sign(forged));
      tamper.push(`${JSON.stringify(forged)}\n`);
      await until(() => c.securityStats.unverified === 2);
      assert.equal(c.get('x'), 'from A');
      assert.equal(c.sources[sa.id], clockOfA);
      // The next real update of A, older than the forgery, still gets through.
      a.set('after', 'real');
      await until(() => c.get('after') === 'real' || c.securityStats.unverified > 2);
      assert.equal(c.get('after'), 'real');
    });
  });
});

/** For {@link ReplicationStream} typing only. */
export type { ReplicationStream };
