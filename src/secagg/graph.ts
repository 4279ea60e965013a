/**
 * SecAgg+ communication graph: a random Harary graph H(m, k) over the clients that advertised
 * keys, its node labels permuted by a keystream keyed from the session id, so every party
 * derives the same graph and no party chooses it alone (Bell et al. 2020, section 3).
 * @module
 * @internal
 */
import { createKeystream, hkdfSha256, utf8 } from '../core/index.ts';

/**
 * @internal A public permutation of `[0, m)` from the session id (Fisher-Yates with rejection
 * sampling on ChaCha20 words (portable and synchronous everywhere), so every index is uniform).
 */
export function sessionPermutation(sessionId: Uint8Array, m: number): Uint32Array {
  const key = hkdfSha256(sessionId, new Uint8Array(0), utf8('privagg/secagg/v1/graph'), 32);
  const ks = createKeystream(key, { algorithm: 'chacha20' });
  const words = new Uint32Array(Math.max(64, 2 * m));
  let used = words.length;
  let offset = 0;
  const next = (): number => {
    if (used === words.length) {
      ks.fillWordsSync(words, offset);
      offset += words.length;
      used = 0;
    }
    return words[used++] as number;
  };
  const perm = new Uint32Array(m);
  for (let i = 0; i < m; i++) perm[i] = i;
  for (let i = m - 1; i > 0; i--) {
    const bound = i + 1;
    const limit = 2 ** 32 - (2 ** 32 % bound);
    let r = next();
    while (r >= limit) r = next();
    const j = r % bound;
    const tmp = perm[i] as number;
    perm[i] = perm[j] as number;
    perm[j] = tmp;
  }
  return perm;
}

/**
 * @internal The SecAgg+ graph over the advertised clients: a Harary graph H(m, k) whose ring
 * positions are filled in a session-derived random order; `degree >= m - 1` gives the complete
 * graph. Neighbour lists are computed on demand (a client needs only its own and its
 * neighbours'), sorted, and never contain the client itself.
 */
export class NeighborGraph {
  private readonly ids: readonly number[];
  private readonly half: number;
  private readonly complete: boolean;
  private readonly perm: Uint32Array | undefined;
  private readonly position = new Map<number, number>();
  private readonly cache = new Map<number, number[]>();

  /**
   * @param ids - the advertised client ids, strictly increasing
   * @param degree - even Harary degree k
   * @param sessionId - the session id the permutation derives from
   */
  constructor(ids: readonly number[], degree: number, sessionId: Uint8Array) {
    this.ids = ids.slice();
    const m = ids.length;
    this.complete = degree >= m - 1;
    this.half = Math.floor(degree / 2);
    if (!this.complete) {
      // the node at ring position p is ids[perm[p]]
      this.perm = sessionPermutation(sessionId, m);
      for (let p = 0; p < m; p++) this.position.set(ids[this.perm[p] as number] as number, p);
    } else for (const id of ids) this.position.set(id, 0);
  }

  /** Whether `id` is a node of the graph. */
  has(id: number): boolean {
    return this.position.has(id);
  }

  /** The sorted neighbours of `id` (empty for an id outside the graph). */
  neighbors(id: number): number[] {
    const hit = this.cache.get(id);
    if (hit !== undefined) return hit;
    const p = this.position.get(id);
    if (p === undefined) return [];
    let list: number[];
    if (this.complete) list = this.ids.filter((x) => x !== id);
    else {
      const m = this.ids.length;
      const perm = this.perm as Uint32Array;
      list = [];
      for (let s = 1; s <= this.half; s++) {
        list.push(this.ids[perm[(p + s) % m] as number] as number);
        list.push(this.ids[perm[(p - s + m) % m] as number] as number);
      }
      list.sort((a, b) => a - b);
    }
    this.cache.set(id, list);
    return list;
  }
}
