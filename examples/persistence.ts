/**
 * The seed's persistence pattern: read the file into `createWriteStream()`, then, once synced,
 * write `createReadStream()` to a new file and rename it over the old one (the rotation the
 * seed asks for, so a crash mid-write never loses the previous file).
 * `scuttlebutt-ts/persist` does this durably with one call; this shows the raw streams.
 * Run: node --import tsx examples/persistence.ts
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Model } from 'scuttlebutt-ts';

const dir = await mkdtemp(join(tmpdir(), 'sb-example-'));
const file = join(dir, 'model.jsonl');

async function save(model: Model): Promise<void> {
  const next = `${file}.tmp`;
  await pipeline(model.createReadStream({ tail: false }), createWriteStream(next));
  await rename(next, file);
}

const first = new Model('writer');
first.set('colour', 'green');
first.set('size', 3);
await save(first);

const second = new Model('reader');
await pipeline(createReadStream(file), second.createWriteStream());
console.log('loaded:', second.toJSON());

second.set('size', 4);
await save(second);
const third = new Model('third');
const ws = third.createWriteStream();
createReadStream(file).pipe(ws);
await once(ws, 'finish');
console.log('reloaded:', third.toJSON());

await rm(dir, { recursive: true, force: true });
if (third.get('size') !== 4 || third.get('colour') !== 'green') process.exit(1);
