/**
 * @module hub/hub-metrics
 * The metric families of `/metrics`: the model, the connections (per peer: updates and bytes in
 * and out, old data, lag, queued output), refusals, and the process (CPU, memory).
 */
import type { PeerConnection } from '../net/connection.js';
import type { PeerPool } from '../net/peer-pool.js';
import { MetricsWriter, type Sample } from './metrics.js';

/** One peer connection and its role: `client` (accepted) or `mesh` (dialed by `--peer`). */
export interface PeerEntry {
  readonly role: 'client' | 'mesh';
  readonly connection: PeerConnection;
}

/** What the hub reports. */
export interface HubMetricsInput {
  readonly id: string;
  readonly keys: number;
  readonly sources: number;
  readonly startedAtMs: number;
  readonly pool: PeerPool;
  /** Open connections of both roles. */
  readonly peers: readonly PeerEntry[];
  /** Mesh peers by address, with their state. */
  readonly mesh: readonly { readonly address: string; readonly state: string }[];
  /** Counters of mesh connections that already closed. */
  readonly meshClosed: {
    readonly updatesIn: number;
    readonly updatesOut: number;
    readonly bytesIn: number;
    readonly bytesOut: number;
    readonly oldData: number;
  };
}

/**
 * Renders the hub's metrics in the Prometheus text format.
 * @param input - the hub's state
 * @returns the exposition text
 */
export function renderHubMetrics(input: HubMetricsInput): string {
  const w = new MetricsWriter();
  const totals = input.pool.totals;
  const labelsOf = (e: PeerEntry): Record<string, string> => ({
    peer: e.connection.name,
    role: e.role,
    remote_id: e.connection.remoteHeader?.id ?? '',
  });
  const perPeer = (pick: (e: PeerEntry) => number): Sample[] => input.peers.map((e) => ({ labels: labelsOf(e), value: pick(e) }));
  const byTransport = new Map<string, number>();
  for (const e of input.peers) {
    const key = `${e.role}/${e.connection.transport.kind}`;
    byTransport.set(key, (byTransport.get(key) ?? 0) + 1);
  }

  w.gauge('scuttlebutt_hub_info', 'The hub; the id label is its model id.', [{ labels: { id: input.id }, value: 1 }]);
  w.gauge('scuttlebutt_model_keys', 'Live (not deleted) keys in the model.', input.keys);
  w.gauge('scuttlebutt_model_sources', 'Sources in the model vector clock.', input.sources);
  w.gauge(
    'scuttlebutt_peers',
    'Open peer connections, by role (client: accepted; mesh: dialed with --peer) and transport.',
    [...byTransport].map(([key, value]) => {
      const [role = '', transport = ''] = key.split('/');
      return { labels: { role, transport }, value };
    }),
  );
  w.gauge(
    'scuttlebutt_mesh_peer_up',
    'Whether each --peer link is live (1) or not (0).',
    input.mesh.map((m) => ({ labels: { peer: m.address, state: m.state }, value: m.state === 'live' ? 1 : 0 })),
  );
  w.counter('scuttlebutt_connections_accepted_total', 'Client connections accepted since start.', totals.accepted);
  w.counter(
    'scuttlebutt_connections_refused_total',
    'Client connections refused, by error code.',
    Object.entries(totals.rejected).map(([code, value]) => ({ labels: { code }, value })),
  );
  const mc = input.meshClosed;
  let meshOpen = { updatesIn: 0, updatesOut: 0, bytesIn: 0, bytesOut: 0, oldData: 0 };
  for (const e of input.peers) {
    if (e.role !== 'mesh') continue;
    const s = e.connection.stats;
    meshOpen = {
      updatesIn: meshOpen.updatesIn + s.updatesIn,
      updatesOut: meshOpen.updatesOut + s.updatesOut,
      bytesIn: meshOpen.bytesIn + s.bytesIn,
      bytesOut: meshOpen.bytesOut + s.bytesOut,
      oldData: meshOpen.oldData + s.oldData,
    };
  }
  w.counter(
    'scuttlebutt_updates_in_total',
    'Updates received from all peers since start.',
    totals.updatesIn + mc.updatesIn + meshOpen.updatesIn,
  );
  w.counter(
    'scuttlebutt_updates_out_total',
    'Updates sent to all peers since start.',
    totals.updatesOut + mc.updatesOut + meshOpen.updatesOut,
  );
  w.counter('scuttlebutt_bytes_in_total', 'Bytes received from all peers since start.', totals.bytesIn + mc.bytesIn + meshOpen.bytesIn);
  w.counter('scuttlebutt_bytes_out_total', 'Bytes sent to all peers since start.', totals.bytesOut + mc.bytesOut + meshOpen.bytesOut);
  w.counter('scuttlebutt_old_data_total', 'Updates received that the model already had.', totals.oldData + mc.oldData + meshOpen.oldData);

  w.counter(
    'scuttlebutt_peer_updates_in_total',
    'Updates received on this connection.',
    perPeer((e) => e.connection.stats.updatesIn),
  );
  w.counter(
    'scuttlebutt_peer_updates_out_total',
    'Updates sent on this connection.',
    perPeer((e) => e.connection.stats.updatesOut),
  );
  w.counter(
    'scuttlebutt_peer_bytes_in_total',
    'Bytes received on this connection.',
    perPeer((e) => e.connection.stats.bytesIn),
  );
  w.counter(
    'scuttlebutt_peer_bytes_out_total',
    'Bytes sent on this connection.',
    perPeer((e) => e.connection.stats.bytesOut),
  );
  w.counter(
    'scuttlebutt_peer_old_data_total',
    'Updates received on this connection that the model already had.',
    perPeer((e) => e.connection.stats.oldData),
  );
  w.gauge(
    'scuttlebutt_peer_lag_seconds',
    'Time between the timestamp of the last update received on this connection and its arrival.',
    perPeer((e) => e.connection.stats.lagMs / 1000),
  );
  w.gauge(
    'scuttlebutt_peer_queued_bytes',
    'Output waiting for this peer (session queue and socket buffer).',
    perPeer((e) => e.connection.stats.queuedBytes),
  );
  w.gauge(
    'scuttlebutt_peer_live',
    'Whether this connection finished its initial sync (1) or not (0).',
    perPeer((e) => (e.connection.state === 'live' ? 1 : 0)),
  );

  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  w.counter('process_cpu_user_seconds_total', 'User CPU time of the hub process.', cpu.user / 1e6);
  w.counter('process_cpu_system_seconds_total', 'System CPU time of the hub process.', cpu.system / 1e6);
  w.gauge('process_resident_memory_bytes', 'Resident memory of the hub process.', memory.rss);
  w.gauge('nodejs_heap_used_bytes', 'V8 heap in use.', memory.heapUsed);
  w.gauge('process_start_time_seconds', 'Start time of the hub, in seconds since the epoch.', input.startedAtMs / 1000);
  return w.toString();
}
