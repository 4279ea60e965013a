import { describe, expect, it } from 'vitest';
import { ERROR_CODES, isPrivaggError, PrivaggError } from '../../../src/index.ts';
import { HOSTILE_VALUES } from '../../helpers/hostile.ts';

describe('PrivaggError', () => {
  it('carries a code, a message and a cause', () => {
    const cause = new Error('backend');
    const e = new PrivaggError('OVERFLOW', 'does not fit', { cause });
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe('OVERFLOW');
    expect(e.name).toBe('PrivaggError');
    expect(e.cause).toBe(cause);
    expect(isPrivaggError(e)).toBe(true);
  });
  it('rejects unknown codes with TypeError', () => {
    expect(() => new PrivaggError('NOPE' as never, 'x')).toThrow(TypeError);
  });
  it('isPrivaggError survives another copy of the class (brand, not prototype)', () => {
    const foreign = Object.create(Error.prototype) as Record<PropertyKey, unknown>;
    foreign.code = 'MALFORMED_MESSAGE';
    foreign[Symbol.for('privagg/PrivaggError')] = true;
    expect(isPrivaggError(foreign)).toBe(true);
    expect(isPrivaggError({ code: 'MALFORMED_MESSAGE' })).toBe(false);
    foreign.code = 'SOMETHING_ELSE';
    expect(isPrivaggError(foreign)).toBe(false);
  });
  it('isPrivaggError is false for every hostile value', () => {
    for (const { value } of HOSTILE_VALUES) expect(isPrivaggError(value)).toBe(false);
  });
  it('the code set is closed and frozen', () => {
    expect(Object.isFrozen(ERROR_CODES)).toBe(true);
    expect(ERROR_CODES).toContain('INSUFFICIENT_SHARES');
    expect(ERROR_CODES).toContain('BACKEND_UNAVAILABLE');
  });
});
