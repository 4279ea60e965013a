/**
 * Event fan-out shared by the round server and client: one optional callback plus any number of
 * async iterators, each with a bounded buffer.
 * @module
 * @internal
 */

/** @internal Most events an iterator buffers before it drops the oldest. */
export const MAX_BUFFERED_EVENTS = 10_000;

/** @internal Delivers events to a callback and to async iterators until closed. */
export class EventHub<E> {
  private readonly iterators = new Set<{
    buffer: E[];
    wake: (() => void) | undefined;
  }>();
  private ended = false;

  private readonly callback: ((event: E) => void) | undefined;

  constructor(callback: ((event: E) => void) | undefined) {
    this.callback = callback;
  }

  emit(event: E): void {
    if (this.ended) return;
    try {
      this.callback?.(event);
    } catch {
      // a failing listener must not break the round
    }
    for (const it of this.iterators) {
      if (it.buffer.length >= MAX_BUFFERED_EVENTS) it.buffer.shift();
      it.buffer.push(event);
      it.wake?.();
    }
  }

  end(): void {
    this.ended = true;
    for (const it of this.iterators) it.wake?.();
  }

  iterate(): AsyncIterableIterator<E> {
    const state: { buffer: E[]; wake: (() => void) | undefined } = {
      buffer: [],
      wake: undefined,
    };
    this.iterators.add(state);
    const done = (): IteratorResult<E> => {
      this.iterators.delete(state);
      return { done: true, value: undefined };
    };
    const iterator: AsyncIterableIterator<E> = {
      next: async () => {
        for (;;) {
          if (state.buffer.length > 0) return { done: false, value: state.buffer.shift() as E };
          if (this.ended || !this.iterators.has(state)) return done();
          await new Promise<void>((resolve) => {
            state.wake = resolve;
          });
          state.wake = undefined;
        }
      },
      return: async () => done(),
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }
}
