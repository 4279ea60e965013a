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
 * @internal The neighbours of every client: a map from client id to its sorted neighbour ids
 * (never itself). `degree >= ids.length - 1` gives the complete graph.
 *
 * @param ids - the advertised client ids, strictly increasing
 * @param degree - even Harary degree k
 * @param sessionId - the session id the permutation derives from
 */
export function neighborGraph(
  ids: readonly number[],
  degree: number,
  sessionId: Uint8Array,
): Map<number, number[]> {
  const m = ids.length;
  const out = new Map<number, number[]>();
  if (degree >= m - 1) {
    for (const id of ids)
      out.set(
        id,
        ids.filter((x) => x !== id),
      );
    return out;
  }
  // node at ring position p is ids[perm[p]]; it links to positions p +- 1 .. p +- k/2
  const perm = sessionPermutation(sessionId, m);
  const half = degree / 2;
  for (let p = 0; p < m; p++) {
    const list: number[] = [];
    for (let s = 1; s <= half; s++) {
      list.push(ids[perm[(p + s) % m] as number] as number);
      list.push(ids[perm[(p - s + m) % m] as number] as number);
    }
    list.sort((a, b) => a - b);
    out.set(ids[perm[p] as number] as number, list);
  }
  return out;
}
