/**
 * @module registry
 * Every workload, in the order the table prints them. The orchestrator reads sizes and targets
 * from here; the worker looks a workload up by id.
 */
import { codecDecode, codecEncode } from './core/codec.bench.ts';
import { history } from './core/history.bench.ts';
import { merge } from './core/merge.bench.ts';
import type { Workload } from './lib/harness.ts';
import { fanOut } from './workloads/fan-out.ts';
import { fullSync } from './workloads/full-sync.ts';
import { heapEvents } from './workloads/heap-events.ts';
import { heapModel } from './workloads/heap-model.ts';
import { incremental } from './workloads/incremental.ts';
import { live } from './workloads/live.ts';
import { tcp } from './workloads/tcp.ts';
import { wireBytes } from './workloads/wire-bytes.ts';

export const WORKLOADS: readonly Workload[] = [
  fullSync,
  incremental,
  live,
  tcp,
  fanOut,
  heapModel,
  heapEvents,
  wireBytes,
  codecEncode,
  codecDecode,
  history,
  merge,
];

/** The workload with this id. */
export function findWorkload(id: string): Workload {
  const workload = WORKLOADS.find((w) => w.id === id);
  if (workload === undefined) throw new Error(`unknown workload "${id}"; known: ${WORKLOADS.map((w) => w.id).join(', ')}`);
  return workload;
}
