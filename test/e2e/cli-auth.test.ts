import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { Model } from '../../src/index.ts';
import { connect } from '../../src/net/index.ts';
import { createAuth, securityFor, writeKeyPair } from '../../src/security/index.ts';
import { buildCli, HubProcess, runCli, sleep, teardown, tempDir, until } from '../helpers/e2e.ts';

describe('scuttlebutt serve --writer', () => {
  before(() => buildCli());

  it('lets the allowed id write and keeps anonymous peers read-only', async (t) => {
    const td = teardown(t);
    const dir = tempDir(td);
    const writer = await writeKeyPair(join(dir, 'keys'));
    const hub = await HubProcess.start(td, ['--memory', '--writer', writer.id]);

    const trusted = new Model(securityFor(writer));
    const trustedPeer = connect(trusted, { port: hub.tcpPort, auth: createAuth({ security: securityFor(writer) }) });
    td.add(trustedPeer, (p) => p.close());
    const anonymous = new Model('anonymous');
    const anonymousPeer = connect(anonymous, { port: hub.tcpPort });
    td.add(anonymousPeer, (p) => p.close());

    trusted.set('from-trusted', 1);
    anonymous.set('from-anonymous', 2);
    await until(() => anonymous.get('from-trusted') === 1, 'the trusted write reaches the anonymous reader');
    await sleep(200);
    const got = await runCli(['get', 'from-trusted', '--hub', hub.hub]);
    assert.equal(got.stdout, '1\n');
    const refused = await runCli(['get', 'from-anonymous', '--hub', hub.hub]);
    assert.equal(refused.code, 1, 'the anonymous write was refused by the hub');
    assert.equal(trusted.get('from-anonymous'), undefined);
  });
});
