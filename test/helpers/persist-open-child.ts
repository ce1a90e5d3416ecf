/**
 * @module test/helpers/persist-open-child
 * Opens a store on the path given as argument and prints the outcome of `store.ready` as JSON:
 * `{code, path, syscallCode, named}` for an error, `{ok: true}` otherwise. The permission test
 * runs it as an unprivileged user (root ignores permission bits).
 */
import { Model } from '../../src/index.ts';
import { persist, StoreError } from '../../src/persist/index.ts';

const path = process.argv[2] as string;
const store = persist(new Model('child'), path, { lock: false });
try {
  await store.ready;
  process.stdout.write(JSON.stringify({ ok: true }));
} catch (error) {
  const err = error as StoreError;
  process.stdout.write(
    JSON.stringify({
      code: err.code,
      path: err.path,
      syscallCode: err.syscallCode,
      named: err instanceof StoreError && err.message.includes(path),
    }),
  );
}
await store.close().catch(() => {});
