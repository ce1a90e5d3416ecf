/**
 * E2E: the `scuttlebutt` command spawned as a process (`node --import tsx src/cli/main.ts`):
 * `--help` everywhere, usage errors, `serve` with its page, `/healthz`, `/metrics` and token,
 * `get`/`set`/`watch`/`dump` against it, graceful shutdown on SIGTERM, and a restarted hub that
 * still has its data.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { get as httpsGet } from 'node:https';
import { before, describe, it } from 'node:test';
import { Model } from '../../src/index.ts';
import { connect } from '../../src/net/index.ts';
import {
  buildCli,
  cliArgs,
  HubProcess,
  hasOpenssl,
  makeTestCertificate,
  metricValue,
  ROOT,
  runCli,
  teardown,
  tempDir,
  until,
  within,
} from '../helpers/e2e.ts';

const COMMANDS = ['serve', 'get', 'set', 'watch', 'dump'];

describe('scuttlebutt CLI', { concurrency: true }, () => {
  before(() => buildCli());

  it('prints help for the program and for every command, exit 0', async () => {
    const results = await Promise.all([runCli(['--help']), ...COMMANDS.map((c) => runCli([c, '--help']))]);
    assert.equal(results[0]?.code, 0);
    for (const c of COMMANDS) assert.match(results[0]?.stdout ?? '', new RegExp(`\\n  ${c} `), `the command list names ${c}`);
    COMMANDS.forEach((c, i) => {
      const r = results[i + 1];
      assert.equal(r?.code, 0, `${c} --help exits 0`);
      assert.match(r?.stdout ?? '', new RegExp(`^Usage: scuttlebutt ${c}`), `${c} --help`);
    });
  });

  it('exits 2 with a message on usage errors', async () => {
    const cases = [
      ['get'],
      ['frobnicate'],
      ['serve', '--port', 'abc'],
      ['serve', '--tombstone-ttl', '3 weeks'],
      ['set', 'k'],
      ['get', 'k', '--bogus'],
      ['get', 'k', '--hub', 'nowhere'],
    ];
    const results = await Promise.all(cases.map((args) => runCli(args)));
    results.forEach((r, i) => {
      assert.equal(r.code, 2, `${cases[i]?.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /scuttlebutt/);
    });
  });

  it('exits 1 with a hint when no hub listens at --hub', async () => {
    const r = await runCli(['get', 'k', '--hub', '127.0.0.1:1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /ECONNREFUSED|ERR_SB_CONNECTION_LOST/);
  });

  it('serves a hub: set, get, dump, watch, the page, /healthz, /metrics; SIGTERM exits 0', async (t) => {
    const td = teardown(t);
    const hub = await HubProcess.start(td, ['--memory', '--tombstone-ttl', '30d']);
    const at = ['--hub', hub.hub];
    for (const [key, value] of [
      ['greeting', 'hello'],
      ['n', '42'],
      ['obj', '{"a":[1,2]}'],
      ['gone', 'soon'],
    ] as const) {
      const r = await runCli(['set', key, value, ...at]);
      assert.equal(r.code, 0, r.stderr);
    }
    assert.equal((await runCli(['set', 'gone', 'null', ...at])).code, 0);
    const [greeting, n, obj, gone, missing, dump] = await Promise.all([
      runCli(['get', 'greeting', ...at]),
      runCli(['get', 'n', ...at]),
      runCli(['get', 'obj', ...at]),
      runCli(['get', 'gone', ...at]),
      runCli(['get', 'missing', ...at]),
      runCli(['dump', ...at]),
    ]);
    assert.deepEqual([greeting?.code, greeting?.stdout], [0, '"hello"\n']);
    assert.deepEqual([n?.code, n?.stdout], [0, '42\n']);
    assert.deepEqual(JSON.parse(obj?.stdout ?? ''), { a: [1, 2] });
    assert.equal(gone?.code, 1);
    assert.equal(missing?.code, 1);
    assert.match(missing?.stderr ?? '', /key not found: "missing"/);
    assert.deepEqual(JSON.parse(dump?.stdout ?? ''), { greeting: 'hello', n: 42, obj: { a: [1, 2] } });

    // watch: the current value, then each change, one JSON line each; SIGINT ends it with 0.
    const watch = spawn(process.execPath, cliArgs(['watch', 'greeting', ...at]), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    td.add(watch, (w) => w.kill('SIGKILL'));
    let out = '';
    watch.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    await until(() => out.includes('\n'), 'the current value');
    assert.equal(await (await runCli(['set', 'greeting', 'world', ...at])).code, 0);
    await until(() => out.split('\n').length >= 3, 'the change');
    const exited = new Promise<number | null>((resolve) => watch.once('exit', (code) => resolve(code)));
    watch.kill('SIGINT');
    assert.equal(await within(exited, 'watch to exit'), 0);
    assert.deepEqual(
      out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
      [
        { key: 'greeting', value: 'hello' },
        { key: 'greeting', value: 'world' },
      ],
    );

    const health = await hub.fetch('/healthz');
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'ok');
    const page = await hub.fetch('/');
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<script type="module">[\s\S]*connectWebSocket/);
    const bundle = await hub.fetch('/scuttlebutt.js');
    assert.equal(bundle.status, 200);
    assert.match(bundle.headers.get('content-type') ?? '', /javascript/);
    const metrics = await (await hub.fetch('/metrics')).text();
    assert.equal(metricValue(metrics, 'scuttlebutt_model_keys'), 3);
    assert.ok(metricValue(metrics, 'scuttlebutt_connections_accepted_total') >= 12);
    assert.ok(metricValue(metrics, 'scuttlebutt_updates_in_total') >= 6);
    assert.match(metrics, /# TYPE scuttlebutt_peer_updates_in_total counter/);
    assert.equal((await hub.fetch('/nope')).status, 404);
    assert.equal((await hub.fetch('/', { method: 'POST' })).status, 405);

    const { code } = await hub.kill('SIGTERM');
    assert.equal(code, 0);
    assert.ok(hub.logs.some((r) => r.msg === 'stopped'));
    assert.deepEqual(
      hub.logs.filter((r) => r.level === 'error'),
      [],
    );
  });

  it('requires the token from HTTP and WebSocket clients, but not for /healthz', async (t) => {
    const td = teardown(t);
    const hub = await HubProcess.start(td, ['--memory', '--token', 's3cret']);
    const at = ['--hub', hub.hub];
    const [noToken, withFlag, withEnv] = await Promise.all([
      runCli(['set', 'k', 'v', ...at]),
      runCli(['set', 'k', 'v', ...at, '--token', 's3cret']),
      runCli(['dump', ...at], { env: { SCUTTLEBUTT_TOKEN: 's3cret' } }),
    ]);
    assert.equal(noToken?.code, 1);
    assert.match(noToken?.stderr ?? '', /ERR_SB_UNAUTHORIZED/);
    assert.equal(withFlag?.code, 0, withFlag?.stderr);
    assert.equal(withEnv?.code, 0, withEnv?.stderr);
    assert.equal((await hub.fetch('/healthz')).status, 200);
    assert.equal((await hub.fetch('/metrics')).status, 401);
    assert.equal((await hub.fetch('/metrics', { headers: { Authorization: 'Bearer s3cret' } })).status, 200);
    const page = await hub.fetch('/');
    assert.equal(page.status, 401);
    assert.match(await page.text(), /name="token"/);
    assert.equal((await hub.fetch('/?token=s3cret')).status, 200);
    await hub.kill('SIGTERM');
  });

  it('keeps its data across a restart (persistence in --data DIR)', async (t) => {
    const td = teardown(t);
    const data = tempDir(td);
    // This one runs from source with tsx, exactly as `npm start` does.
    const first = await HubProcess.start(td, ['--data', data], { viaTsx: true });
    assert.equal((await runCli(['set', 'durable', '{"kept":true}', '--hub', first.hub], { viaTsx: true })).code, 0);
    assert.equal((await first.kill('SIGTERM')).code, 0);
    const second = await HubProcess.start(td, ['--data', data]);
    const r = await runCli(['get', 'durable', '--hub', second.hub]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { kept: true });
    await second.kill('SIGTERM');
  });

  it('warns when it listens beyond loopback without a token', async (t) => {
    const td = teardown(t);
    const hub = await HubProcess.start(td, ['--memory', '--host', '0.0.0.0', '--no-tcp']);
    assert.ok(hub.logs.some((r) => r.level === 'warn' && /without a token/.test(r.msg)));
    await hub.kill('SIGTERM');
  });

  it('serves over TLS (--tls-cert/--tls-key): wss:// clients with --ca, https /healthz, TLS on the TCP port', {
    skip: !hasOpenssl() && 'openssl is not installed',
  }, async (t) => {
    const td = teardown(t);
    const { cert, certPath, keyPath } = makeTestCertificate(tempDir(td));
    const hub = await HubProcess.start(td, ['--memory', '--tls-cert', certPath, '--tls-key', keyPath]);
    const at = ['--hub', `wss://127.0.0.1:${hub.httpPort}`, '--ca', certPath];
    const set = await runCli(['set', 'secret', '"over tls"', ...at]);
    assert.equal(set.code, 0, set.stderr);
    const got = await runCli(['get', 'secret', ...at]);
    assert.equal(got.code, 0, got.stderr);
    assert.equal(got.stdout.trim(), '"over tls"');
    const untrusted = await runCli(['get', 'secret', '--hub', `wss://127.0.0.1:${hub.httpPort}`]);
    assert.equal(untrusted.code, 1, 'a certificate nobody vouches for is refused');
    const health = await new Promise<number>((resolve, reject) => {
      httpsGet({ host: '127.0.0.1', port: hub.httpPort, path: '/healthz', ca: cert }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    assert.equal(health, 200);
    assert.equal((await runCli(['serve', '--tls-cert', certPath])).code, 2, '--tls-cert without --tls-key');
    const b = new Model('B');
    const peer = td.add(connect(b, { port: hub.tcpPort, tls: { ca: cert } }), (p) => p.close());
    await within(peer.whenLive(), 'live over TLS on the TCP port');
    assert.equal(b.get('secret'), 'over tls');
  });
});
