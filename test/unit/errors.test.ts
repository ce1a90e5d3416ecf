import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ERROR_CODES, isScuttlebuttError, LocalProtocolError, RemoteProtocolError, ScuttlebuttError } from '../../src/index.ts';

describe('errors', () => {
  it('every code is documented in docs/errors.md', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    for (const code of Object.keys(ERROR_CODES)) assert.ok(doc.includes(`\`${code}\``), `${code} is missing from docs/errors.md`);
  });

  it('isScuttlebuttError recognises errors by brand, not by class identity', () => {
    const err = new RemoteProtocolError('ERR_SB_INVALID_JSON', 'x');
    assert.equal(isScuttlebuttError(err), true);
    assert.equal(isScuttlebuttError(new Error('x')), false);
    assert.equal(isScuttlebuttError({ code: 'ERR_SB_INVALID_JSON' }), false);
    assert.ok(err instanceof ScuttlebuttError);
    assert.equal(err.name, 'RemoteProtocolError');
    assert.equal(new LocalProtocolError('ERR_SB_DISPOSED', 'x').code, 'ERR_SB_DISPOSED');
  });

  it('too-large errors carry WebSocket close code 1009, others 1008', () => {
    assert.equal(new RemoteProtocolError('ERR_SB_MESSAGE_TOO_LARGE', 'x').closeCode, 1009);
    assert.equal(new RemoteProtocolError('ERR_SB_INVALID_JSON', 'x').closeCode, 1008);
  });
});
