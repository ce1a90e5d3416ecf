/**
 * Prints the outbound state machine of `src/protocol/session.ts` as a Mermaid diagram, generated
 * from `OUTBOUND_TRANSITIONS` (the one table every transition lives in). `docs/PROTOCOL.md` embeds
 * the output, and `test/unit/protocol-doc.test.ts` fails when the two drift apart.
 * Run: `node --import tsx scripts/state-diagram.ts`
 */
import { OUTBOUND_TRANSITIONS } from '../src/protocol/session.ts';

export function stateDiagram(): string {
  const lines = ['```mermaid', 'stateDiagram-v2', '  [*] --> IDLE'];
  for (const [from, row] of Object.entries(OUTBOUND_TRANSITIONS)) {
    for (const [trigger, to] of Object.entries(row)) lines.push(`  ${from} --> ${to}: ${trigger}`);
  }
  lines.push('```');
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(stateDiagram());
