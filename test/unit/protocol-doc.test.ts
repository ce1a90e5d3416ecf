import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { stateDiagram } from '../../scripts/state-diagram.ts';

describe('docs/PROTOCOL.md', () => {
  it('embeds the state diagram generated from OUTBOUND_TRANSITIONS', () => {
    const doc = readFileSync(new URL('../../docs/PROTOCOL.md', import.meta.url), 'utf8');
    const block = doc.split('<!-- state-diagram:start -->\n')[1]?.split('\n<!-- state-diagram:end -->')[0];
    assert.equal(block, stateDiagram(), 'regenerate with: node --import tsx scripts/state-diagram.ts');
  });
});
