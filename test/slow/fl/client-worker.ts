/**
 * A worker thread hosting some of a round's clients: each connects to the server over
 * WebSocket with its own key and contributes its vector; the outcomes go back to the parent.
 * Run by round-200.test.ts (native Node type stripping: no test-runner transform here).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { connectClient } from '../../../src/fl/index.ts';
import { type AggregationConfig, planAggregation } from '../../../src/index.ts';
import { clientSeed, idOf } from '../../helpers/rounds.ts';

interface Job {
  readonly url: string;
  readonly serverPublicKey: Uint8Array;
  readonly config: AggregationConfig;
  readonly clients: readonly { readonly index: number; readonly secretKey: Uint8Array }[];
}

const job = workerData as Job;
const d = job.config.dimension;
const plan = planAggregation(job.config);
const clients = await Promise.all(
  job.clients.map(({ index, secretKey }) =>
    connectClient(job.url, {
      plan,
      clientId: idOf(index),
      secretKey,
      serverPublicKey: job.serverPublicKey,
      round: { rng: clientSeed(index) },
    }),
  ),
);
parentPort?.postMessage({ type: 'connected', count: clients.length });
const outcomes = await Promise.all(
  clients.map((c, k) => {
    const i = (job.clients[k] as { index: number }).index;
    const v = new Float64Array(d);
    for (let j = 0; j < d; j++) v[j] = (((i * 31 + j * 17) % 101) - 50) / 50 / Math.sqrt(d);
    return c.contribute(v);
  }),
);
await Promise.all(clients.map((c) => c.close()));
parentPort?.postMessage({ type: 'done', statuses: outcomes.map((o) => o.status) });
