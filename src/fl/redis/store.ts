/**
 * Round state shared by several coordinator processes through Redis. Every decision that two
 * coordinators could race on is one atomic Lua script, and every deadline is read from Redis's own
 * clock (`TIME`), so coordinators on machines with skewed clocks still agree on who made a cut-off:
 *
 * - leadership: one coordinator holds a lease (`SET NX PX`, renewed by its holder only) and is the
 *   master aggregator: it opens rounds, closes them and combines the cohorts' partial sums;
 * - membership: a client is claimed by at most one coordinator per round, and only before the
 *   round's join cut-off (a client connected to two coordinators cannot contribute twice);
 * - submissions: each coordinator submits at most one partial sum per round, before the submit
 *   deadline; closing the round is atomic, so the master combines exactly the partials that were
 *   in when it closed and a late one is refused, never half counted;
 * - liveness: coordinators heartbeat into a sorted set; a round whose master died is aborted by
 *   the next leader, never completed with a guessed sum.
 *
 * Keys share one hash tag (`{prefix}`), so the scripts also run on a Redis Cluster. Round keys
 * expire after `retentionMs`. The arithmetic never touches Redis: partial sums are opaque bytes
 * here (see `cohort.ts` for their encoding).
 * @module
 */
import type { Redis as RedisClient, RedisOptions } from 'ioredis';
import { PrivaggError } from '../../core/errors.ts';
import { toHex } from '../../core/bytes.ts';
import { randomBytes } from '../../core/random.ts';
import { aInteger, aOptions } from '../../core/validate.ts';

/**
 * Options of {@link RedisRoundStore.connect}.
 * @since 0.1.0
 * @public
 */
export interface RedisRoundStoreOptions {
  /** `redis://host:port/db` (or `rediss://` for TLS). */
  readonly url: string;
  /** Key prefix naming this aggregation service; coordinators of one service share it. @defaultValue `'privagg'` */
  readonly prefix?: string;
  /** This coordinator's identity. @defaultValue random */
  readonly coordinatorId?: string;
  /** Leadership lease in milliseconds; a dead leader is replaced after it. @defaultValue 5000 */
  readonly leaseMs?: number;
  /** A coordinator without a heartbeat for this long counts as dead. @defaultValue 10000 */
  readonly livenessMs?: number;
  /** How long round keys are kept. @defaultValue one hour */
  readonly retentionMs?: number;
  /** Extra ioredis options (timeouts, TLS). */
  readonly redis?: RedisOptions;
}

/**
 * A round as Redis records it.
 * @since 0.1.0
 * @public
 */
export interface SharedRound {
  /** Round number (1, 2, …), unique per prefix. */
  readonly round: number;
  /** `open` (joining and submitting), `closed` (being combined), `done`, or `aborted`. */
  readonly state: 'open' | 'closed' | 'done' | 'aborted';
  /** Digest of the plan the round runs (hex); coordinators with another plan stay out. */
  readonly planDigest: string;
  /** Redis-clock millisecond after which no client joins. */
  readonly joinCutoff: number;
  /** Redis-clock millisecond after which no partial is accepted. */
  readonly submitDeadline: number;
  /** The master that opened it. */
  readonly master: string;
  /** Most clients the round admits over all coordinators (the plan's `clients.expected`). */
  readonly maxClients: number;
  /** The round's rotation seed (plans with the randomized Hadamard rotation). */
  readonly rotationSeed?: Uint8Array;
  /** Why it was aborted (aborted rounds only). */
  readonly reason?: string;
}

/**
 * Outcome of an at-most-once operation: `ok`, `duplicate` (already done, by someone else for a
 * claim), `closed` (past the cut-off or the round is not open), or `full` (a claim when the round
 * already has its most clients).
 * @since 0.1.0
 * @public
 */
export type ClaimOutcome = 'ok' | 'duplicate' | 'closed' | 'full';

const LEAD = `
local cur = redis.call('GET', KEYS[1])
if cur == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if cur == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`;

const RESIGN = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0`;

const NOW = `local t = redis.call('TIME') return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

const HEARTBEAT = `
${NOW.replace('return', 'local now =')}
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
return redis.call('ZRANGE', KEYS[1], 0, -1)`;

// KEYS: leader, counter, round prefix; ARGV: id, digest, joinMs, submitMs, retentionMs, maxClients, seed
const OPEN = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {0} end
${NOW.replace('return', 'local now =')}
local n = redis.call('INCR', KEYS[2])
local key = KEYS[3] .. n
redis.call('HSET', key, 'state', 'open', 'digest', ARGV[2], 'master', ARGV[1],
  'joinCutoff', now + tonumber(ARGV[3]), 'submitDeadline', now + tonumber(ARGV[4]),
  'maxClients', ARGV[6], 'seed', ARGV[7])
redis.call('PEXPIRE', key, ARGV[5])
return {n}`;

// KEYS: round hash, clients hash; ARGV: clientId, coordinatorId, retentionMs
const CLAIM = `
if redis.call('HGET', KEYS[1], 'state') ~= 'open' then return 'closed' end
${NOW.replace('return', 'local now =')}
if now > tonumber(redis.call('HGET', KEYS[1], 'joinCutoff')) then return 'closed' end
local cur = redis.call('HGET', KEYS[2], ARGV[1])
if cur then
  if cur == ARGV[2] then return 'ok' end
  return 'duplicate'
end
if redis.call('HLEN', KEYS[2]) >= tonumber(redis.call('HGET', KEYS[1], 'maxClients')) then return 'full' end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 'ok'`;

// KEYS: round hash, partials hash; ARGV: coordinatorId, bytes, retentionMs
const SUBMIT = `
if redis.call('HGET', KEYS[1], 'state') ~= 'open' then return 'closed' end
${NOW.replace('return', 'local now =')}
if now > tonumber(redis.call('HGET', KEYS[1], 'submitDeadline')) then return 'closed' end
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 0 then return 'duplicate' end
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 'ok'`;

// KEYS: leader, round hash, partials hash; ARGV: id
const CLOSE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {'notleader'} end
local st = redis.call('HGET', KEYS[2], 'state')
if st ~= 'open' then return {st or 'missing'} end
redis.call('HSET', KEYS[2], 'state', 'closed')
local out = {'ok'}
local all = redis.call('HGETALL', KEYS[3])
for i = 1, #all do out[#out + 1] = all[i] end
return out`;

// KEYS: round hash; ARGV: from-state list (comma separated), to-state, reason
const TRANSITION = `
local st = redis.call('HGET', KEYS[1], 'state')
if st == false then return 'missing' end
for s in string.gmatch(ARGV[1], '[^,]+') do
  if s == st then
    redis.call('HSET', KEYS[1], 'state', ARGV[2])
    if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'reason', ARGV[3]) end
    return 'ok'
  end
end
return st`;

/** Bounds on identifiers written to Redis (they come from authenticated peers, but still). */
const MAX_ID_LENGTH = 200;
const ID_PATTERN = /^[\x21-\x7e]+$/;

function aId(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH)
    throw new TypeError(`"${name}" expected a string of 1 to ${MAX_ID_LENGTH} characters`);
  if (!ID_PATTERN.test(value))
    throw new TypeError(`"${name}" expected printable ASCII without spaces`);
}

function connectionError(e: unknown): PrivaggError {
  return new PrivaggError('CONNECTION_CLOSED', 'the Redis round store is unreachable', {
    cause: e,
  });
}

/**
 * Round state in Redis shared by the coordinators of one service. Create with
 * {@link RedisRoundStore.connect}; close with {@link RedisRoundStore.close}.
 * @since 0.1.0
 * @public
 */
export class RedisRoundStore {
  /** This coordinator's identity. */
  readonly coordinatorId: string;
  private readonly redis: RedisClient;
  private readonly tag: string;
  private readonly lease: number;
  private readonly liveness: number;
  private readonly retentionMs: number;

  private constructor(
    redis: RedisClient,
    tag: string,
    coordinatorId: string,
    leaseMs: number,
    livenessMs: number,
    retentionMs: number,
  ) {
    this.redis = redis;
    this.tag = tag;
    this.coordinatorId = coordinatorId;
    this.lease = leaseMs;
    this.liveness = livenessMs;
    this.retentionMs = retentionMs;
  }

  /**
   * Connect to Redis (ioredis is loaded on first use, so users without scale-out never load it).
   * @param options - the URL, the service prefix and timings
   * @returns a connected store
   * @throws {@link !TypeError} / {@link !RangeError} for bad options
   * @throws {@link index!PrivaggError} `BACKEND_UNAVAILABLE` when ioredis is not installed;
   * `CONNECTION_CLOSED` when Redis does not answer
   */
  static async connect(options: RedisRoundStoreOptions): Promise<RedisRoundStore> {
    aOptions('options', options, [
      'url',
      'prefix',
      'coordinatorId',
      'leaseMs',
      'livenessMs',
      'retentionMs',
      'redis',
    ]);
    if (typeof options.url !== 'string' || !/^rediss?:\/\//.test(options.url))
      throw new TypeError('"options.url" expected a redis:// or rediss:// URL');
    const prefix = options.prefix ?? 'privagg';
    aId('options.prefix', prefix);
    const coordinatorId = options.coordinatorId ?? toHex(randomBytes(8));
    aId('options.coordinatorId', coordinatorId);
    const leaseMs = options.leaseMs ?? 5000;
    aInteger('options.leaseMs', leaseMs, 100, 600_000);
    const livenessMs = options.livenessMs ?? 10_000;
    aInteger('options.livenessMs', livenessMs, 100, 600_000);
    const retentionMs = options.retentionMs ?? 3_600_000;
    aInteger('options.retentionMs', retentionMs, 1000, 7 * 86_400_000);
    let Redis: typeof import('ioredis').Redis;
    try {
      ({ Redis } = await import('ioredis'));
    } catch (e) {
      throw new PrivaggError(
        'BACKEND_UNAVAILABLE',
        'Redis scale-out needs the "ioredis" package: npm install ioredis',
        { cause: e },
      );
    }
    const redis = new Redis(options.url, {
      lazyConnect: true,
      maxRetriesPerRequest: 2,
      connectTimeout: 5000,
      enableOfflineQueue: false,
      ...options.redis,
    });
    // a dropped connection must not crash the process: errors surface on each call instead
    redis.on('error', () => {});
    try {
      await redis.connect();
      await redis.ping();
    } catch (e) {
      redis.disconnect();
      throw connectionError(e);
    }
    return new RedisRoundStore(
      redis,
      `{${prefix}}`,
      coordinatorId,
      leaseMs,
      livenessMs,
      retentionMs,
    );
  }

  /** The leadership lease in milliseconds (renew at least twice per lease). */
  get leaseMs(): number {
    return this.lease;
  }

  /** How long a coordinator without a heartbeat counts as alive. */
  get livenessMs(): number {
    return this.liveness;
  }

  private key(...parts: (string | number)[]): string {
    return [this.tag, ...parts].join(':');
  }

  private async eval<T>(
    script: string,
    keys: string[],
    args: (string | number | Buffer)[],
  ): Promise<T> {
    try {
      return (await this.redis.eval(script, keys.length, ...keys, ...args)) as T;
    } catch (e) {
      throw connectionError(e);
    }
  }

  /**
   * Take or renew the leadership lease (the master aggregator). Call at least every
   * `leaseMs / 2` while leading.
   * @returns whether this coordinator leads now
   */
  async lead(): Promise<boolean> {
    return (
      (await this.eval<number>(LEAD, [this.key('leader')], [this.coordinatorId, this.lease])) === 1
    );
  }

  /** Give up the lease if this coordinator holds it. */
  async resign(): Promise<void> {
    await this.eval<number>(RESIGN, [this.key('leader')], [this.coordinatorId]);
  }

  /**
   * The current leader's identity.
   * @returns the leader, or undefined when the lease is free
   */
  async leader(): Promise<string | undefined> {
    try {
      return (await this.redis.get(this.key('leader'))) ?? undefined;
    } catch (e) {
      throw connectionError(e);
    }
  }

  /**
   * Record that this coordinator is alive and list the live ones.
   * @returns the identities with a heartbeat within `livenessMs`, this one included
   */
  async heartbeat(): Promise<string[]> {
    return await this.eval<string[]>(
      HEARTBEAT,
      [this.key('coordinators')],
      [this.coordinatorId, this.liveness],
    );
  }

  /**
   * Milliseconds on Redis's clock (the clock every deadline is measured on).
   * @returns the time
   */
  async now(): Promise<number> {
    return await this.eval<number>(NOW, [], []);
  }

  /**
   * Open the next round (leader only).
   * @param planDigest - hex digest of the plan
   * @param joinMs - how long clients may join, from now on Redis's clock
   * @param submitMs - how long coordinators may submit partial sums
   * @param maxClients - most clients the round admits over all coordinators
   * @param rotationSeed - the round's 32-byte rotation seed, when the plan rotates
   * @returns the round, or undefined when this coordinator does not lead
   */
  async openRound(
    planDigest: string,
    joinMs: number,
    submitMs: number,
    maxClients: number,
    rotationSeed?: Uint8Array,
  ): Promise<SharedRound | undefined> {
    if (
      rotationSeed !== undefined &&
      !(rotationSeed instanceof Uint8Array && rotationSeed.length === 32)
    )
      throw new TypeError('"rotationSeed" expected 32 bytes');
    if (!/^[0-9a-f]{16,128}$/.test(planDigest))
      throw new TypeError('"planDigest" expected a hex digest');
    aInteger('joinMs', joinMs, 1, 86_400_000);
    aInteger('submitMs', submitMs, joinMs, 86_400_000);
    aInteger('maxClients', maxClients, 1, 2 ** 31 - 1);
    const [n] = await this.eval<number[]>(
      OPEN,
      [this.key('leader'), this.key('round'), this.key('r', '')],
      [
        this.coordinatorId,
        planDigest,
        joinMs,
        submitMs,
        this.retentionMs,
        maxClients,
        rotationSeed === undefined ? '' : toHex(rotationSeed),
      ],
    );
    if (n === undefined || n === 0) return undefined;
    return await this.round(n);
  }

  /**
   * Read one round.
   * @param round - its number
   * @returns the round, or undefined when unknown (or expired)
   */
  async round(round: number): Promise<SharedRound | undefined> {
    aInteger('round', round, 1, Number.MAX_SAFE_INTEGER);
    let h: Record<string, string>;
    try {
      h = await this.redis.hgetall(this.key('r', round));
    } catch (e) {
      throw connectionError(e);
    }
    if (h.state === undefined) return undefined;
    const state = h.state;
    if (state !== 'open' && state !== 'closed' && state !== 'done' && state !== 'aborted')
      throw new PrivaggError('MALFORMED_MESSAGE', `round ${round} has an unknown state in Redis`);
    return {
      round,
      state,
      planDigest: h.digest ?? '',
      joinCutoff: Number(h.joinCutoff),
      submitDeadline: Number(h.submitDeadline),
      master: h.master ?? '',
      maxClients: Number(h.maxClients),
      ...(h.seed === undefined || h.seed === '' ? {} : { rotationSeed: fromHex(h.seed) }),
      ...(h.reason === undefined ? {} : { reason: h.reason }),
    };
  }

  /**
   * The latest round opened under this prefix.
   * @returns it, or undefined before the first
   */
  async latestRound(): Promise<SharedRound | undefined> {
    let n: string | null;
    try {
      n = await this.redis.get(this.key('round'));
    } catch (e) {
      throw connectionError(e);
    }
    return n === null ? undefined : await this.round(Number(n));
  }

  /**
   * Claim a client for this coordinator in a round: at most one coordinator gets it, only
   * before the join cut-off, and only while the round has fewer than its `maxClients`. Claiming again from the same coordinator is `ok` (reconnection).
   * @param round - the round number
   * @param clientId - the client's authenticated identity
   * @returns the outcome
   */
  async claimClient(round: number, clientId: string): Promise<ClaimOutcome> {
    aInteger('round', round, 1, Number.MAX_SAFE_INTEGER);
    aId('clientId', clientId);
    return await this.eval<ClaimOutcome>(
      CLAIM,
      [this.key('r', round), this.key('r', round, 'clients')],
      [clientId, this.coordinatorId, this.retentionMs],
    );
  }

  /**
   * The clients claimed in a round, by coordinator.
   * @param round - the round number
   * @returns coordinator identity to its clients
   */
  async members(round: number): Promise<Map<string, string[]>> {
    aInteger('round', round, 1, Number.MAX_SAFE_INTEGER);
    let h: Record<string, string>;
    try {
      h = await this.redis.hgetall(this.key('r', round, 'clients'));
    } catch (e) {
      throw connectionError(e);
    }
    const out = new Map<string, string[]>();
    for (const [client, coordinator] of Object.entries(h)) {
      const list = out.get(coordinator) ?? [];
      list.push(client);
      out.set(coordinator, list);
    }
    for (const list of out.values()) list.sort();
    return out;
  }

  /**
   * Submit this coordinator's partial sum for a round, at most once and before the deadline.
   * @param round - the round number
   * @param partial - the encoded partial (see `encodeCohortPartial`)
   * @returns the outcome
   */
  async submitPartial(round: number, partial: Uint8Array): Promise<ClaimOutcome> {
    aInteger('round', round, 1, Number.MAX_SAFE_INTEGER);
    if (!(partial instanceof Uint8Array) || partial.length === 0)
      throw new TypeError('"partial" expected non-empty bytes');
    return await this.eval<ClaimOutcome>(
      SUBMIT,
      [this.key('r', round), this.key('r', round, 'partials')],
      [
        this.coordinatorId,
        Buffer.from(partial.buffer, partial.byteOffset, partial.length),
        this.retentionMs,
      ],
    );
  }

  /**
   * How many partial sums a round has received.
   * @param round - the round number
   * @returns the count
   */
  async partialCount(round: number): Promise<number> {
    aInteger('round', round, 1, Number.MAX_SAFE_INTEGER);
    try {
      return await this.redis.hlen(this.key('r', round, 'partials'));
    } catch (e) {
      throw connectionError(e);
    }
  }

  /**
   * Close a round atomically (leader only) and take the partial sums that made it in.
   * @param round - the round number
   * @returns coordinator identity to its partial bytes
   * @throws {@link index!PrivaggError} `PROTOCOL_ABORTED` when this coordinator does not lead or
   * the round is not open
   */
  async closeRound(round: number): Promise<Map<string, Uint8Array>> {
    aInteger('round', round, 1, Number.MAX_SAFE_INTEGER);
    let out: (string | Buffer)[];
    try {
      out = (await this.redis.callBuffer(
        'EVAL',
        CLOSE,
        3,
        this.key('leader'),
        this.key('r', round),
        this.key('r', round, 'partials'),
        this.coordinatorId,
      )) as Buffer[];
    } catch (e) {
      throw connectionError(e);
    }
    const status = String(out[0]);
    if (status !== 'ok')
      throw new PrivaggError(
        'PROTOCOL_ABORTED',
        status === 'notleader'
          ? `round ${round} cannot be closed: this coordinator does not lead`
          : `round ${round} cannot be closed: it is ${status}`,
      );
    const partials = new Map<string, Uint8Array>();
    for (let i = 1; i + 1 < out.length; i += 2) {
      const bytes = out[i + 1] as Buffer;
      partials.set(String(out[i]), new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length));
    }
    return partials;
  }

  /**
   * Mark a closed round done (its result was delivered).
   * @param round - the round number
   * @returns whether it was closed and is now done
   */
  async finishRound(round: number): Promise<boolean> {
    aInteger('round', round, 1, Number.MAX_SAFE_INTEGER);
    return (
      (await this.eval<string>(TRANSITION, [this.key('r', round)], ['closed', 'done', ''])) === 'ok'
    );
  }

  /**
   * Abort a round that is open or closed (never one that is done).
   * @param round - the round number
   * @param reason - recorded for operators; names no secret
   * @returns whether this call aborted it
   */
  async abortRound(round: number, reason: string): Promise<boolean> {
    aInteger('round', round, 1, Number.MAX_SAFE_INTEGER);
    if (typeof reason !== 'string' || reason.length > 500)
      throw new TypeError('"reason" expected a string of at most 500 characters');
    return (
      (await this.eval<string>(
        TRANSITION,
        [this.key('r', round)],
        ['open,closed', 'aborted', reason],
      )) === 'ok'
    );
  }

  /** Close the Redis connection. */
  async close(): Promise<void> {
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }
}

function fromHex(hex: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})+$/.test(hex))
    throw new PrivaggError('MALFORMED_MESSAGE', 'a round seed in Redis is not hex');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
