/**
 * In-process simulation of a whole secure-aggregation round with real cryptography: one server
 * and `inputs.length` clients exchanging the real wire messages, with scheduled dropouts and
 * hooks that let a test play a malicious server.
 * @module
 */
import {
  aFunction,
  aInteger,
  aOptions,
  aU32Array,
  ed25519KeyPairFast,
  isPrivaggError,
  type PrivaggError,
  type Rng,
  randomBytes,
} from '../core/index.ts';
import { orDefault } from './stages.ts';
import { SecAggClient } from './client.ts';
import {
  decodeForwardedShares,
  decodeSurvivors,
  decodeUnmaskRequest,
  decodeUnmaskResponse,
  encodeForwardedShares,
  encodeSurvivors,
  encodeUnmaskRequest,
  limitsOf,
  MessageType,
  peekType,
  type WireLimits,
} from './messages.ts';
import { type SecAggPlan, type SecAggTier, planSecAgg } from './params.ts';
import { aKernels, type KernelBackend } from '../kernels/index.ts';
import { SecAggWorkerPool } from './pool.ts';
import { type SecAggRejection, type SecAggResult, SecAggServer } from './server.ts';

/**
 * Clients that stop responding at each point of the round (indices into `inputs`).
 * @since 0.1.0
 * @public
 */
export interface SecAggDropouts {
  /** Advertise their keys, then go silent (never share keys). @defaultValue [] */
  afterAdvertiseKeys?: readonly number[];
  /** Share their keys, then go silent (never send a masked input). @defaultValue [] */
  afterShareKeys?: readonly number[];
  /** Send their masked input, then go silent. @defaultValue [] */
  afterMaskedInput?: readonly number[];
  /** Receive the unmask request (and, malicious tier, sign the survivors) but never answer it. @defaultValue [] */
  duringUnmask?: readonly number[];
}

/**
 * The lists of an unmask request: whose self-seed shares and whose masking-key shares to reveal.
 * @since 0.1.0
 * @public
 */
export interface SecAggUnmaskRequest {
  /** Clients whose masked input arrived: reveal their self-seed shares. */
  alive: number[];
  /** Clients that dropped after sharing keys: reveal their masking-key shares. */
  dropped: number[];
}

/**
 * A sealed share as the server forwards it.
 * @since 0.1.0
 * @public
 */
export interface SecAggForwardedShare {
  /** The client that sealed it. */
  sender: number;
  /** AES-256-GCM ciphertext and tag. */
  ciphertext: Uint8Array;
}

/**
 * A share a client revealed in unmasking.
 * @since 0.1.0
 * @public
 */
export interface SecAggRevealedShare {
  /** Whose secret it is a share of. */
  owner: number;
  /** A share of the owner's self-mask seed, or of its masking secret key. */
  kind: 'self-seed' | 'masking-key';
  /** The share bytes. */
  share: Uint8Array;
}

/**
 * Hooks that turn the simulated server malicious. Each one rewrites what one client receives.
 * @since 0.1.0
 * @public
 */
export interface SecAggMaliciousServer {
  /**
   * Rewrite the unmask request sent to `clientIndex`.
   * @param request - the honest lists: whose self-seed shares (`alive`) and whose key shares (`dropped`) to reveal
   * @param clientIndex - the recipient
   * @returns the lists to send instead
   */
  rewriteUnmaskRequest?(request: SecAggUnmaskRequest, clientIndex: number): SecAggUnmaskRequest;
  /**
   * Rewrite the survivor list of the consistency check (malicious tier only).
   * @param survivors - the honest list
   * @param clientIndex - the recipient
   * @returns the list to send instead (it is sorted before sending)
   */
  rewriteSurvivors?(survivors: number[], clientIndex: number): number[];
  /**
   * Rewrite the sealed shares forwarded to `clientIndex` (reorder, swap senders, replace ciphertexts).
   * @param shares - the honest list of `{ sender, ciphertext }`
   * @param clientIndex - the recipient
   * @returns the list to send instead (sorted by sender before sending)
   */
  rewriteForwardedShares?(
    shares: SecAggForwardedShare[],
    clientIndex: number,
  ): SecAggForwardedShare[];
  /**
   * See what a client revealed in unmasking.
   * @param clientIndex - the responder
   * @param shares - each revealed share: its owner, whether it is a self-seed or a masking-key share, and its bytes
   */
  observeUnmaskResponse?(clientIndex: number, shares: SecAggRevealedShare[]): void;
}

/**
 * Options of {@link simulateSecAgg}.
 * @since 0.1.0
 * @public
 */
export interface SecAggSimulationOptions {
  /** One input vector per client, all of the same length, values in `[0, maxInputValue]`. */
  inputs: readonly Uint32Array[];
  /** Ring bits k of Z_{2^k}, 1 to 62. @defaultValue 32 */
  modulusBits?: number;
  /** Largest input coordinate. @defaultValue `floor((2^modulusBits - 1) / inputs.length)` */
  maxInputValue?: number;
  /** Shamir threshold or `'auto'`. @defaultValue `'auto'` */
  threshold?: number | 'auto';
  /** Graph degree, `'all'` (original SecAgg) or `'auto'` (parameter finder). @defaultValue `'auto'` */
  neighbors?: number | 'all' | 'auto';
  /** @defaultValue `'semi-honest'` */
  tier?: SecAggTier;
  /** Expected dropout fraction the plan is checked against. @defaultValue 0.1 */
  dropoutRate?: number;
  /** Corrupt-client bound the plan is checked against. @defaultValue 0.05 */
  corruptFraction?: number;
  /** Statistical security bits of the plan. @defaultValue 40 */
  securityBits?: number;
  /** Who stops responding, and when. @defaultValue no dropouts */
  dropouts?: SecAggDropouts;
  /** Hooks that make the server malicious. @defaultValue an honest server */
  maliciousServer?: SecAggMaliciousServer;
  /**
   * Called when a client refuses a message and aborts (it then stays silent).
   * @defaultValue none
   */
  onClientAbort?: (clientIndex: number, error: PrivaggError) => void;
  /**
   * Worker threads (Node) for mask generation, shared by the simulated clients (masking) and the
   * server (unmasking), each thread owning one coordinate range; clients are then run
   * concurrently so their key agreements overlap the workers' masking. 0: everything in this
   * thread, one client after the other.
   * @defaultValue 0
   */
  workers?: number;
  /**
   * The kernel backend every simulated client and the server use for masks (see
   * {@link SecAggClientOptions.kernels}); the choice never changes the sum.
   * @defaultValue the `cpu` reference backend of privagg/kernels
   */
  kernels?: KernelBackend;
  /** @defaultValue {@link randomBytes} */
  rng?: Rng;
}

/**
 * What {@link simulateSecAgg} resolves to.
 * @since 0.1.0
 * @public
 */
export interface SecAggSimulationResult extends SecAggResult {
  /** The resolved plan (degree, threshold, ring). */
  readonly plan: SecAggPlan;
  /** Every client message the server refused. */
  readonly rejections: readonly SecAggRejection[];
  /**
   * Seconds spent in client calls (summed over every client) and in server calls. Measured when
   * clients run one at a time (no worker pool); `undefined` with `workers`, where they overlap.
   */
  readonly roleSeconds:
    | {
        /** Seconds in client calls, summed over every client. */
        readonly clients: number;
        /** Seconds in server calls. */
        readonly server: number;
      }
    | undefined;
}

const OPTION_KEYS = [
  'inputs',
  'modulusBits',
  'maxInputValue',
  'threshold',
  'neighbors',
  'tier',
  'dropoutRate',
  'corruptFraction',
  'securityBits',
  'dropouts',
  'maliciousServer',
  'onClientAbort',
  'workers',
  'kernels',
  'rng',
] as const;

function dropoutSets(dropouts: SecAggDropouts, n: number): Map<keyof SecAggDropouts, Set<number>> {
  aOptions('dropouts', dropouts, [
    'afterAdvertiseKeys',
    'afterShareKeys',
    'afterMaskedInput',
    'duringUnmask',
  ]);
  const out = new Map<keyof SecAggDropouts, Set<number>>();
  const all = new Set<number>();
  for (const key of [
    'afterAdvertiseKeys',
    'afterShareKeys',
    'afterMaskedInput',
    'duringUnmask',
  ] as const) {
    const list = dropouts[key] ?? [];
    if (!Array.isArray(list))
      throw new TypeError(`"dropouts.${key}" expected an array of client indices`);
    const set = new Set<number>();
    for (const i of list) {
      aInteger(`dropouts.${key}[]`, i, 0, n - 1);
      if (all.has(i)) throw new RangeError(`"dropouts" lists client ${i} more than once`);
      all.add(i);
      set.add(i);
    }
    out.set(key, set);
  }
  return out;
}

/**
 * Run one secure-aggregation round in process, with real cryptography and the real wire
 * messages: SecAgg (`neighbors: 'all'`) or SecAgg+ (a Harary graph), semi-honest or malicious
 * tier, with clients dropping out at any stage. The round succeeds whenever at least `threshold`
 * clients survive each stage; otherwise it rejects with `PROTOCOL_ABORTED` and no partial sum.
 *
 * @param options - see {@link SecAggSimulationOptions}
 * @returns the sum of the survivors' inputs mod 2^k, the survivors, the dropouts per stage, the
 *   resolved plan and the refused messages
 * @throws {@link !TypeError} for wrong option types or unknown options
 * @throws {@link !RangeError} for out-of-range options or inputs (an input above
 *   `maxInputValue` is refused, never clipped)
 * @throws {@link index.PrivaggError} `OVERFLOW` when the plan can wrap the ring, `INVALID_PARAMETER`
 *   for an unsafe threshold, `PROTOCOL_ABORTED` when the round must abort
 * @example
 * ```ts
 * import { simulateSecAgg } from 'privagg/secagg';
 * import { deterministicRngForTesting } from 'privagg';
 * const inputs = [Uint32Array.of(1, 2), Uint32Array.of(3, 4), Uint32Array.of(5, 6), Uint32Array.of(7, 8)];
 * const result = await simulateSecAgg({
 *   inputs, neighbors: 'all', threshold: 3, corruptFraction: 0, dropoutRate: 0.25,
 *   dropouts: { afterShareKeys: [2] }, rng: deterministicRngForTesting(new Uint8Array(32)),
 * });
 * console.log(Array.from(result.sum).join(' ')); // 11 14
 * console.log(result.dropped.afterShareKeys.join()); // 2
 * ```
 * @since 0.1.0
 * @public
 */
export async function simulateSecAgg(
  options: SecAggSimulationOptions,
): Promise<SecAggSimulationResult> {
  aOptions('options', options, OPTION_KEYS);
  const { inputs } = options;
  if (!Array.isArray(inputs)) throw new TypeError('"inputs" expected an array of Uint32Array');
  aInteger('inputs.length', inputs.length, 2);
  aU32Array('inputs[0]', inputs[0]);
  const dimension = (inputs[0] as Uint32Array).length;
  for (const [i, x] of inputs.entries()) aU32Array(`inputs[${i}]`, x, dimension);
  const n = inputs.length;
  const drops = dropoutSets(orDefault(options.dropouts, {}), n);
  const hooks = orDefault(options.maliciousServer, {});
  aOptions('maliciousServer', hooks, [
    'rewriteUnmaskRequest',
    'rewriteSurvivors',
    'rewriteForwardedShares',
    'observeUnmaskResponse',
  ]);
  for (const [k, f] of Object.entries(hooks))
    if (f !== undefined) aFunction(`maliciousServer.${k}`, f);
  if (options.onClientAbort !== undefined) aFunction('onClientAbort', options.onClientAbort);
  const rng = orDefault(options.rng, randomBytes);
  const plan = planSecAgg({
    clients: n,
    dimension,
    ...(options.modulusBits === undefined ? {} : { modulusBits: options.modulusBits }),
    ...(options.maxInputValue === undefined ? {} : { maxInputValue: options.maxInputValue }),
    ...(options.threshold === undefined ? {} : { threshold: options.threshold }),
    ...(options.neighbors === undefined ? {} : { neighbors: options.neighbors }),
    ...(options.tier === undefined ? {} : { tier: options.tier }),
    ...(options.dropoutRate === undefined ? {} : { dropoutRate: options.dropoutRate }),
    ...(options.corruptFraction === undefined ? {} : { corruptFraction: options.corruptFraction }),
    ...(options.securityBits === undefined ? {} : { securityBits: options.securityBits }),
    rng,
  });
  const workers = orDefault(options.workers, 0);
  aInteger('workers', workers, 0, 64);
  if (options.kernels !== undefined) aKernels('kernels', options.kernels);
  const kernels = options.kernels;
  const pool = workers > 0 ? new SecAggWorkerPool(workers) : undefined;
  try {
    return await runRound(plan, inputs, drops, hooks, options.onClientAbort, pool, kernels, rng);
  } finally {
    await pool?.close();
  }
}

async function runRound(
  plan: SecAggPlan,
  inputs: readonly Uint32Array[],
  drops: Map<keyof SecAggDropouts, Set<number>>,
  hooks: SecAggMaliciousServer,
  onClientAbort: ((clientIndex: number, error: PrivaggError) => void) | undefined,
  pool: SecAggWorkerPool | undefined,
  kernels: KernelBackend | undefined,
  rng: Rng,
): Promise<SecAggSimulationResult> {
  let clientMs = 0;
  let serverMs = 0;
  let t = performance.now();
  /** Charge the time since the last mark to the clients or the server. */
  const charge = (role: 'client' | 'server'): void => {
    const now = performance.now();
    if (role === 'client') clientMs += now - t;
    else serverMs += now - t;
    t = now;
  };
  const malicious = plan.tier === 'malicious';
  const signing = malicious ? inputs.map(() => ed25519KeyPairFast(rng)) : undefined;
  const verificationKeys = signing?.map((k) => k.publicKey);
  const clients = inputs.map(
    (input, id) =>
      new SecAggClient({
        plan,
        id,
        input,
        rng,
        ...(pool === undefined ? {} : { workerPool: pool }),
        ...(kernels === undefined ? {} : { kernels }),
        ...(signing === undefined || verificationKeys === undefined
          ? {}
          : { signingKey: (signing[id] as { secretKey: Uint8Array }).secretKey, verificationKeys }),
      }),
  );
  charge('client');
  const server = new SecAggServer({
    plan,
    ...(verificationKeys === undefined ? {} : { verificationKeys }),
    ...(pool === undefined ? {} : { workerPool: pool }),
    ...(kernels === undefined ? {} : { kernels }),
  });
  const limits = limitsOf(plan);
  const silent = new Set<number>();
  const silence = (key: keyof SecAggDropouts): void => {
    for (const i of drops.get(key) ?? []) silent.add(i);
  };

  charge('server');
  for (const [id, c] of clients.entries()) {
    const advertised = c.start();
    charge('client');
    server.receive(id, advertised);
    charge('server');
  }
  silence('afterAdvertiseKeys');
  const handle = async (id: number, messages: readonly Uint8Array[]): Promise<void> => {
    const client = clients[id] as SecAggClient;
    for (const raw of messages) {
      const message = rewrite(raw, id, hooks, limits);
      let reply: Uint8Array | undefined;
      charge('server');
      try {
        reply = await client.receive(message);
      } catch (e) {
        if (!isPrivaggError(e)) throw e;
        onClientAbort?.(id, e);
        silent.add(id);
        return;
      } finally {
        charge('client');
      }
      if (reply === undefined) continue;
      if (peekType(reply) === MessageType.UnmaskResponse && hooks.observeUnmaskResponse) {
        const shares = decodeUnmaskResponse(reply, limits).shares.map((s) => ({
          owner: s.owner,
          kind: s.kind === 0 ? ('self-seed' as const) : ('masking-key' as const),
          share: s.share,
        }));
        hooks.observeUnmaskResponse(id, shares);
      }
      server.receive(id, reply);
    }
  };
  // with a worker pool, a few clients run at once so that their key agreements (this thread)
  // overlap their masking (the pool); without one, one after the other
  const concurrency = pool === undefined ? 1 : 2 * pool.size + 2;
  const deliver = async (out: Map<number, Uint8Array[]>): Promise<void> => {
    const inFlight = new Set<Promise<void>>();
    for (const [id, messages] of [...out].sort((a, b) => a[0] - b[0])) {
      if (silent.has(id)) continue;
      const p: Promise<void> = handle(id, messages).finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size >= concurrency) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  };
  await deliver(server.advance()); // key list -> shares
  silence('afterShareKeys');
  await deliver(server.advance()); // forwarded shares -> masked inputs
  silence('afterMaskedInput');
  if (malicious) {
    await deliver(server.advance()); // survivors -> signatures
    silence('duringUnmask');
    await deliver(server.advance()); // signatures + unmask request -> shares
  } else {
    silence('duringUnmask');
    await deliver(server.advance()); // unmask request -> shares
  }
  const result = await server.finish();
  charge('server');
  return {
    ...result,
    plan,
    rejections: server.rejections,
    roleSeconds:
      pool === undefined ? { clients: clientMs / 1000, server: serverMs / 1000 } : undefined,
  };
}

function rewrite(
  message: Uint8Array,
  to: number,
  hooks: SecAggMaliciousServer,
  limits: WireLimits,
): Uint8Array {
  const type = peekType(message);
  if (type === MessageType.UnmaskRequest && hooks.rewriteUnmaskRequest) {
    const r = decodeUnmaskRequest(message, limits);
    const next = hooks.rewriteUnmaskRequest({ alive: r.alive, dropped: r.dropped }, to);
    return encodeUnmaskRequest(r.sessionId, next.alive, next.dropped);
  }
  if (type === MessageType.Survivors && hooks.rewriteSurvivors) {
    const r = decodeSurvivors(message, limits);
    const next = [...new Set(hooks.rewriteSurvivors(r.ids, to))].sort((a, b) => a - b);
    return encodeSurvivors(r.sessionId, next);
  }
  if (type === MessageType.ForwardedShares && hooks.rewriteForwardedShares) {
    const r = decodeForwardedShares(message, limits);
    const next = hooks
      .rewriteForwardedShares(
        r.shares.map((s) => ({ sender: s.peer, ciphertext: s.ciphertext })),
        to,
      )
      .sort((a, b) => a.sender - b.sender);
    return encodeForwardedShares(
      r.sessionId,
      r.self,
      next.map((s) => ({ peer: s.sender, ciphertext: s.ciphertext })),
    );
  }
  return message;
}
