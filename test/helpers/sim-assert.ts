/**
 * @module test/helpers/sim-assert
 * Convergence checks for a finished {@link ScenarioRun}: every replica against an oracle computed
 * from the list of writes, not against each other only (so a bug shared by all replicas fails).
 */
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import type { Events, Model, Scuttlebutt, Value } from '../../src/index.ts';
import { byTsSource, lwwWinners, maxTsBySource, plainClock, type ScenarioRun, type Write } from './sim-scenario.ts';

/** Shortens a value for a message: kilobyte strings would bury the difference. */
function brief(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return text.length > 300 ? `${text.slice(0, 150)} …(${text.length} chars)… ${text.slice(-150)}` : text;
}

/** `assert.deepStrictEqual` with a short message. */
function same(actual: unknown, expected: unknown, message: string): void {
  if (!isDeepStrictEqual(actual, expected)) {
    throw new assert.AssertionError({
      message: `${message}\n  actual:   ${brief(actual)}\n  expected: ${brief(expected)}`,
      actual,
      expected,
      operator: 'deepStrictEqual',
    });
  }
}

function describePeer(run: ScenarioRun<Scuttlebutt>, i: number): string {
  return `peer ${i} (${run.net.models[i]?.id}) in ${run.scenario.topology} of ${run.scenario.peers}`;
}

/** Each replica's `history(otherReplica.sources)` is empty: no handshake would send anything. */
function assertDigestsAgree(models: readonly Scuttlebutt[]): void {
  for (const a of models) {
    for (const b of models) {
      if (a !== b) same(a.history(b.sources), [], `${a.id} would still send ${b.id} something`);
    }
  }
}

/**
 * Clocks of models that drop superseded updates (Model, Value). They need not be equal: a write
 * that lost a last-write-wins race before it reached a replica never reaches it, so that replica
 * never counts its timestamp. What must hold: each entry is the timestamp of a real write of that
 * source, at least that of its newest surviving write, at most that of its newest write; and
 * where the newest write survived, every replica has exactly it.
 */
function assertPrunedClocks(run: ScenarioRun<Scuttlebutt>, survivors: readonly Write[]): void {
  const real = new Set(run.writes.map((w) => `${w.source}@${w.ts}`));
  const newest = maxTsBySource(run.writes);
  const newestLive = maxTsBySource(survivors);
  run.net.models.forEach((model, i) => {
    const clock = plainClock(model.sources);
    const where = `${describePeer(run, i)}: clock ${JSON.stringify(clock)}`;
    for (const [source, ts] of Object.entries(clock)) {
      assert.ok(real.has(`${source}@${ts}`), `${where} has ${source}@${ts}, which nobody wrote`);
    }
    for (const [source, live] of newestLive) {
      const ts = clock[source];
      assert.ok(ts !== undefined && ts >= live, `${where} is behind the surviving write ${source}@${live}`);
      if (newest.get(source) === live) same(ts, live, `${where}: ${source} should be at its newest write`);
    }
  });
}

/** Model: every replica equals the last-write-wins result of all writes. */
export function assertModelConverged(run: ScenarioRun<Model>): void {
  run.net.assertClean();
  const winners = lwwWinners(run.writes);
  const survivors = [...winners.values()].sort(byTsSource);
  const expectedJSON: Record<string, unknown> = {};
  for (const w of survivors) {
    if (w.value !== null)
      Object.defineProperty(expectedJSON, w.key, { value: w.value, enumerable: true, writable: true, configurable: true });
  }
  const expectedHistory = JSON.stringify(survivors.map((w) => [[w.key, w.value], w.ts, w.source]));
  run.net.models.forEach((model, i) => {
    const where = describePeer(run as ScenarioRun<Scuttlebutt>, i);
    same(model.toJSON(), expectedJSON, `${where}: toJSON()`);
    same(JSON.stringify(model.history()), expectedHistory, `${where}: history()`);
    for (const w of survivors) same(model.get(w.key), w.value, `${where}: get(${JSON.stringify(w.key)})`);
  });
  assertPrunedClocks(run as ScenarioRun<Scuttlebutt>, survivors);
  assertDigestsAgree(run.net.models);
}

/** Value: every replica holds the newest write. */
export function assertValueConverged(run: ScenarioRun<Value>): void {
  run.net.assertClean();
  const winner = lwwWinners(run.writes.map((w) => ({ ...w, key: '' }))).get('');
  const expected = winner === undefined ? null : winner.value;
  const expectedHistory = JSON.stringify(winner === undefined ? [] : [[winner.value, winner.ts, winner.source]]);
  run.net.models.forEach((model, i) => {
    const where = describePeer(run as ScenarioRun<Scuttlebutt>, i);
    same(model.get(), expected, `${where}: get()`);
    same(JSON.stringify(model.history()), expectedHistory, `${where}: history()`);
  });
  assertPrunedClocks(run as ScenarioRun<Scuttlebutt>, winner === undefined ? [] : [winner]);
  assertDigestsAgree(run.net.models);
}

/**
 * Events: every replica's listeners saw every event exactly once, its history is every event in
 * (ts, source) order, and, as nothing is dropped, every clock is the newest write of each source.
 */
export function assertEventsConverged(run: ScenarioRun<Events>, seen: readonly string[][]): void {
  run.net.assertClean();
  const all = [...run.writes].sort(byTsSource);
  const expectedSeen = all.map((w) => JSON.stringify([w.key, w.value])).sort();
  const expectedHistory = JSON.stringify(all.map((w) => [[w.key, w.value], w.ts, w.source]));
  const expectedClock = plainClock(Object.fromEntries(maxTsBySource(run.writes)));
  run.net.models.forEach((model, i) => {
    const where = describePeer(run as ScenarioRun<Scuttlebutt>, i);
    same([...(seen[i] ?? [])].sort(), expectedSeen, `${where}: events seen by listeners`);
    same(JSON.stringify(model.history()), expectedHistory, `${where}: history()`);
    same(plainClock(model.sources), expectedClock, `${where}: sources`);
  });
  assertDigestsAgree(run.net.models);
}

/** The replicas of each group agree with each other (no oracle: used inside a partition). */
export function assertGroupsAgree(models: readonly Model[], groups: readonly number[][]): void {
  for (const group of groups) {
    const first = models[group[0] as number] as Model;
    for (const i of group.slice(1)) {
      const model = models[i] as Model;
      same(model.toJSON(), first.toJSON(), `${model.id} and ${first.id} (same side of the partition): toJSON()`);
      same(JSON.stringify(model.history()), JSON.stringify(first.history()), `${model.id} and ${first.id}: history()`);
    }
  }
}
