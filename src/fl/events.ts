/**
 * Logging and event plumbing shared by the server and client transports.
 * @module
 * @internal
 */
import { aInteger } from '../core/index.ts';

/** @internal An optional integer option in [min, max], or its default. */
export function optionalInteger(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number = 1,
  max: number = 2 ** 31,
): number {
  if (value === undefined) return fallback;
  aInteger(name, value, min, max);
  return value;
}

/**
 * A structured logger: pino's `logger.warn({ reason }, 'message')` shape. Any pino logger (or
 * child) fits; so does a small object of four functions.
 * @since 0.1.0
 * @public
 */
export interface Logger {
  /**
   * Log detail for debugging.
   * @param fields - structured fields (never secrets)
   * @param message - the event in words
   */
  debug(fields: object, message: string): void;
  /**
   * Log a normal event.
   * @param fields - structured fields (never secrets)
   * @param message - the event in words
   */
  info(fields: object, message: string): void;
  /**
   * Log a rejection or a degraded condition.
   * @param fields - structured fields (never secrets)
   * @param message - the event in words
   */
  warn(fields: object, message: string): void;
  /**
   * Log a failure.
   * @param fields - structured fields (never secrets)
   * @param message - the event in words
   */
  error(fields: object, message: string): void;
}

const noop = (): void => {};
/** @internal A logger that drops everything. */
export const SILENT_LOGGER: Logger = Object.freeze({
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
});

/** @internal Holds events until a handler is set, then delivers in order. */
export class EventQueue<E> {
  private handler: ((event: E) => void) | undefined;
  private queue: E[] = [];
  private readonly logger: Logger;

  constructor(logger: Logger) {
    this.logger = logger;
  }

  on(handler: (event: E) => void): void {
    if (typeof handler !== 'function') throw new TypeError('"handler" expected function');
    this.handler = handler;
    const queued = this.queue;
    this.queue = [];
    for (const e of queued) this.deliver(handler, e);
  }

  emit(event: E): void {
    if (this.handler === undefined) this.queue.push(event);
    else this.deliver(this.handler, event);
  }

  private deliver(handler: (event: E) => void, event: E): void {
    try {
      handler(event);
    } catch (e) {
      this.logger.error({ error: (e as Error)?.message }, 'transport event handler threw');
    }
  }
}
