/**
 * The main job (`privagg simulate`, `npm start`): federated training of a logistic-regression
 * spam filter on the SpamAssassin corpus, split across simulated clients, with secure
 * aggregation and distributed DP by default, next to a non-private baseline.
 * @module
 * @internal
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AggregationConfig, PrivacyConfig, ProtectionConfig } from '../aggregate/config.ts';
import { planAggregation } from '../aggregate/plan.ts';
import {
  deterministicRngForTesting,
  type Rng,
  randomBelowU32,
  randomBytes,
} from '../core/random.ts';
import { accuracy, localUpdate, type Model } from './demo/logreg.ts';
import { type Example, loadSpamDataset, splitAmongClients } from './demo/spam-data.ts';
import { lineChart } from './demo/svg.ts';

/** @internal Options of the demo; every field has a default. */
export interface DemoOptions {
  clients: number;
  rounds: number;
  dimension: number;
  epsilon: number;
  delta: number;
  protection: ProtectionConfig['kind'];
  privacy: PrivacyConfig['kind'];
  clip: number;
  localEpochs: number;
  learningRate: number;
  serverLearningRate: number;
  /** Fraction of clients that drop out of each round (after sharing keys). */
  dropout: number;
  out: string;
  /** A hex seed makes the run reproducible (test randomness, not for production). */
  seed?: string;
}

/** @internal */
export const DEMO_DEFAULTS: DemoOptions = {
  clients: 200,
  rounds: 20,
  dimension: 1024,
  epsilon: 8,
  delta: 1e-5,
  protection: 'secagg+',
  privacy: 'distributed-dp',
  clip: 2,
  localEpochs: 2,
  learningRate: 0.5,
  serverLearningRate: 2,
  dropout: 0.05,
  out: 'privagg-demo',
};

/** @internal One round of the report. */
export interface DemoRound {
  round: number;
  accuracy: number;
  baselineAccuracy: number;
  epsilon: number;
  delta: number;
  participants: number;
  dropped: number;
  clipped: number;
  seconds: number;
}

/** @internal The demo's report (also written as JSON). */
export interface DemoReport {
  options: DemoOptions;
  plan: unknown;
  data: { train: number; test: number; clients: number; examplesPerClient: number };
  rounds: DemoRound[];
  final: {
    accuracy: number;
    baselineAccuracy: number;
    gap: number;
    epsilon: number;
    delta: number;
  };
  bytesPerClient: number;
  seconds: number;
}

function pickDropouts(n: number, fraction: number, rng: Rng): number[] {
  const count = Math.floor(n * fraction);
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(randomBelowU32(rng, n));
  return [...chosen].sort((a, b) => a - b);
}

function addScaled(model: Model, update: Float64Array, factor: number): void {
  for (let i = 0; i < model.length; i++)
    model[i] = (model[i] as number) + factor * (update[i] as number);
}

/** @internal Run the demo; `log` receives progress lines. */
export async function runDemo(
  partial: Partial<DemoOptions>,
  log: (line: string) => void,
): Promise<DemoReport> {
  const options: DemoOptions = { ...DEMO_DEFAULTS, ...partial };
  const rng =
    options.seed === undefined ? randomBytes : deterministicRngForTesting(seedBytes(options.seed));
  const started = performance.now();
  log(`loading the SpamAssassin corpus, hashing features into ${options.dimension} dimensions...`);
  const data = loadSpamDataset(options.dimension, 0.2, rng);
  const clientData = splitAmongClients(data.train, options.clients);
  const d = options.dimension + 1; // weights and bias
  const minimum = Math.max(1, Math.floor(options.clients * (1 - Math.max(options.dropout, 0.1))));
  const config: AggregationConfig = {
    dimension: d,
    clients: { expected: options.clients, minimum },
    clip: { l2: options.clip },
    protection:
      options.protection === 'secagg' || options.protection === 'secagg+'
        ? { kind: options.protection, dropoutTolerance: Math.max(options.dropout, 0.1) }
        : options.protection === 'shamir'
          ? { kind: 'shamir', servers: 2 }
          : { kind: options.protection },
    privacy:
      options.privacy === 'none'
        ? { kind: 'none' }
        : {
            kind: options.privacy,
            mechanism: 'discrete-gaussian',
            epsilon: options.epsilon,
            delta: options.delta,
          },
    accountant: { rounds: options.rounds, samplingRate: 1 },
  } as AggregationConfig;
  const plan = planAggregation(config);
  const described = plan.describe();
  log(
    `plan: ${options.clients} clients (minimum ${minimum}), ${described.protection.kind}` +
      `${described.protection.neighbors !== undefined ? ` (${described.protection.neighbors} neighbours, threshold ${described.protection.threshold})` : ''}, ` +
      `${described.privacy.kind}${described.noise.mechanism !== 'none' ? ` with ${described.noise.mechanism} noise (z = ${described.noise.noiseMultiplier.toFixed(3)})` : ''}, ` +
      `${described.rotation.kind === 'hadamard' ? `Hadamard rotation (${d} padded to ${described.rotation.paddedDimension}), ` : ''}` +
      (described.quantization === undefined
        ? `no ring, noise grid 2^-${Math.log2(described.noise.gridScale)}, `
        : `ring 2^${described.quantization.ringBits}, scale 2^${Math.log2(described.quantization.scale)}, `) +
      `target epsilon ${options.epsilon} at delta ${options.delta} over ${options.rounds} rounds`,
  );

  const model: Model = new Float64Array(d);
  const baseline: Model = new Float64Array(d);
  const rounds: DemoRound[] = [];
  for (let r = 1; r <= options.rounds; r++) {
    const t0 = performance.now();
    const updates = clientData.map((examples: Example[]) =>
      localUpdate(model, examples, options.localEpochs, options.learningRate),
    );
    const dropouts = pickDropouts(options.clients, options.dropout, rng);
    const result = await plan.simulate(updates, { dropouts, rng });
    addScaled(model, result.mean, options.serverLearningRate);
    // non-private baseline: the same FedAvg with every client, no clipping, no noise
    const baseMean = new Float64Array(d);
    for (const examples of clientData)
      addScaled(
        baseMean,
        localUpdate(baseline, examples, options.localEpochs, options.learningRate),
        1 / options.clients,
      );
    addScaled(baseline, baseMean, options.serverLearningRate);
    const round: DemoRound = {
      round: r,
      accuracy: accuracy(model, data.test),
      baselineAccuracy: accuracy(baseline, data.test),
      epsilon: result.privacy.cumulative.epsilon,
      delta: result.privacy.cumulative.delta,
      participants: result.participants.length,
      dropped: options.clients - result.participants.length,
      clipped: result.clipped,
      seconds: (performance.now() - t0) / 1000,
    };
    rounds.push(round);
    log(
      `round ${String(r).padStart(3)}/${options.rounds}  accuracy ${(100 * round.accuracy).toFixed(2)}%  ` +
        `(baseline ${(100 * round.baselineAccuracy).toFixed(2)}%)  epsilon ${Number.isFinite(round.epsilon) ? round.epsilon.toFixed(3) : 'inf'}  ` +
        `participants ${round.participants}  dropped ${round.dropped}  clipped ${round.clipped}  ${round.seconds.toFixed(2)} s`,
    );
  }
  const last = rounds.at(-1) as DemoRound;
  const report: DemoReport = {
    options,
    plan: described,
    data: {
      train: data.train.length,
      test: data.test.length,
      clients: options.clients,
      examplesPerClient: data.train.length / options.clients,
    },
    rounds,
    final: {
      accuracy: last.accuracy,
      baselineAccuracy: last.baselineAccuracy,
      gap: last.baselineAccuracy - last.accuracy,
      epsilon: last.epsilon,
      delta: last.delta,
    },
    bytesPerClient: described.bytesPerClient,
    seconds: (performance.now() - started) / 1000,
  };
  mkdirSync(options.out, { recursive: true });
  writeFileSync(join(options.out, 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(
    join(options.out, 'accuracy.svg'),
    lineChart({
      title: `Federated spam filter: ${options.clients} clients, ${described.protection.kind}, ${described.privacy.kind}`,
      xLabel: 'round',
      leftLabel: 'test accuracy (%)',
      ...(Number.isFinite(last.epsilon) ? { rightLabel: 'cumulative epsilon' } : {}),
      series: [
        {
          name: 'private',
          color: '#1f77b4',
          points: rounds.map((x) => [x.round, 100 * x.accuracy]),
        },
        {
          name: 'non-private baseline',
          color: '#ff7f0e',
          points: rounds.map((x) => [x.round, 100 * x.baselineAccuracy]),
        },
        ...(Number.isFinite(last.epsilon)
          ? [
              {
                name: 'epsilon (right axis)',
                color: '#2ca02c',
                right: true,
                points: rounds.map((x) => [x.round, x.epsilon] as const),
              },
            ]
          : []),
      ],
    }),
  );
  log(
    `\nfinal: accuracy ${(100 * last.accuracy).toFixed(2)}% vs non-private ${(100 * last.baselineAccuracy).toFixed(2)}% ` +
      `(gap ${(100 * report.final.gap).toFixed(2)} points), epsilon ${Number.isFinite(last.epsilon) ? last.epsilon.toFixed(3) : 'inf'} at delta ${last.delta}, ` +
      `${(described.bytesPerClient / 1024).toFixed(1)} KiB per client per round, ${report.seconds.toFixed(1)} s in all`,
  );
  log(`wrote ${join(options.out, 'results.json')} and ${join(options.out, 'accuracy.svg')}`);
  return report;
}

function seedBytes(hex: string): Uint8Array {
  if (!/^[0-9a-fA-F]{1,64}$/.test(hex))
    throw new RangeError('"--seed" expected up to 64 hex digits');
  const out = new Uint8Array(32);
  const padded = hex.padStart(64, '0');
  for (let i = 0; i < 32; i++) out[i] = Number.parseInt(padded.slice(2 * i, 2 * i + 2), 16);
  return out;
}
