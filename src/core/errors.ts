/**
 * The one runtime error type of privagg, with a closed set of codes.
 * @module
 */

/**
 * Every code a {@link PrivaggError} can carry. The set is closed: callers can switch on it.
 *
 * - `INVALID_PARAMETER`: a parameter is well-typed but unusable (for example HE parameters SEAL rejects).
 * - `MALFORMED_MESSAGE`: untrusted bytes (a peer message, a share, a ciphertext) failed to decode or authenticate.
 * - `INSUFFICIENT_SHARES`: fewer shares than the threshold were available.
 * - `PROTOCOL_ABORTED`: a protocol step was refused (out of order, inconsistent, or unsafe to answer).
 * - `BUDGET_EXHAUSTED`: a privacy budget would be exceeded.
 * - `OVERFLOW`: a value or a sum does not fit the ring or the range it must live in.
 * - `BACKEND_UNAVAILABLE`: an optional backend (node-seal, a GPU, a native fast path) cannot be used.
 * - `DOMAIN_MISMATCH`: data or parameters from different domains were combined.
 * - `UNAUTHENTICATED`: a peer failed authentication (unknown credential, bad signature, wrong server identity).
 * - `CONNECTION_CLOSED`: a transport closed, or a peer stopped responding before a deadline.
 *
 * @since 0.1.0
 * @public
 */
export type ErrorCode =
  | 'INVALID_PARAMETER'
  | 'MALFORMED_MESSAGE'
  | 'INSUFFICIENT_SHARES'
  | 'PROTOCOL_ABORTED'
  | 'BUDGET_EXHAUSTED'
  | 'OVERFLOW'
  | 'BACKEND_UNAVAILABLE'
  | 'DOMAIN_MISMATCH'
  | 'UNAUTHENTICATED'
  | 'CONNECTION_CLOSED';

/**
 * All error codes, frozen, in a stable order.
 * @since 0.1.0
 * @public
 */
export const ERROR_CODES: readonly ErrorCode[] = Object.freeze([
  'INVALID_PARAMETER',
  'MALFORMED_MESSAGE',
  'INSUFFICIENT_SHARES',
  'PROTOCOL_ABORTED',
  'BUDGET_EXHAUSTED',
  'OVERFLOW',
  'BACKEND_UNAVAILABLE',
  'DOMAIN_MISMATCH',
  'UNAUTHENTICATED',
  'CONNECTION_CLOSED',
] as const);

const BRAND_KEY = 'privagg/PrivaggError';

/**
 * A runtime or protocol failure. Wrong arguments throw the built-in `TypeError` or `RangeError`
 * instead; everything else that can go wrong at run time throws this, with a {@link ErrorCode}.
 *
 * Messages name public parameters only: never a secret, a share, a key, a mask or a record.
 *
 * @example
 * ```ts
 * import { PrivaggError, isPrivaggError } from 'privagg';
 * try {
 *   throw new PrivaggError('OVERFLOW', 'sum of 1000 clients does not fit 16 ring bits');
 * } catch (e) {
 *   if (isPrivaggError(e)) console.log(e.code); // 'OVERFLOW'
 * }
 * ```
 * @since 0.1.0
 * @public
 */
export class PrivaggError extends Error {
  /** The machine-readable failure class. */
  readonly code: ErrorCode;

  /**
   * @param code - the failure class
   * @param message - a readable message that names no secret
   * @param options - `cause`: the underlying error (for example a backend exception)
   * @throws {@link !TypeError} when `code` is not one of {@link ERROR_CODES}
   */
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    if (!ERROR_CODES.includes(code))
      throw new TypeError(`"code" expected an ErrorCode, got ${String(code)}`);
    this.code = code;
    this.name = 'PrivaggError';
    // cross-realm brand checked by isPrivaggError (a registered symbol, the same in every copy)
    Object.defineProperty(this, Symbol.for(BRAND_KEY), { value: true, enumerable: false });
  }
}

/**
 * Whether `e` is a {@link PrivaggError}, also when it comes from another copy of the package or
 * another realm (the check reads a `Symbol.for` brand, not the prototype chain).
 *
 * @param e - any thrown value
 * @returns `true` when `e` carries the privagg error brand and a known code
 * @example
 * ```ts
 * import { isPrivaggError } from 'privagg';
 * console.log(isPrivaggError(new Error('x'))); // false
 * ```
 * @since 0.1.0
 * @public
 */
export function isPrivaggError(e: unknown): e is PrivaggError {
  if (typeof e !== 'object' || e === null) return false;
  const r = e as Record<PropertyKey, unknown>;
  return (
    r[Symbol.for(BRAND_KEY)] === true &&
    typeof r.code === 'string' &&
    ERROR_CODES.includes(r.code as ErrorCode)
  );
}

/** @internal Shorthand for throwing a malformed-message error. */
export function malformed(what: string): PrivaggError {
  return new PrivaggError('MALFORMED_MESSAGE', what);
}
