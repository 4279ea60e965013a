/** Argument validation of the field-element API: hostile values throw the documented classes. */
import { describe, expect, it } from 'vitest';
import {
  bytesToFieldElements,
  FIELD_MODULUS,
  fieldAdd,
  fieldElementsToBytes,
  fieldInv,
  fieldMul,
  fieldSub,
  lagrangeCoefficients,
  packedLength,
  reconstructBytes,
  robustCombine,
  robustReconstruct,
  shamirReconstruct,
  shamirShare,
  shareBytes,
} from '../../../src/sharing/index.ts';
import { errorCode, throwsDocumented } from '../../helpers/error-code.ts';
import { HOSTILE_VALUES } from '../../helpers/hostile.ts';

const share = { index: 1, value: Uint32Array.of(1) };
const two = shamirShare(Uint32Array.of(5), { threshold: 2, shares: 2 });

describe('field-element API validation', () => {
  it('hostile values throw TypeError or RangeError (or a PrivaggError for share lists)', () => {
    for (const { name, value } of HOSTILE_VALUES) {
      const v = value as never;
      const cases: [string, () => unknown, boolean][] = [
        ['fieldAdd', () => fieldAdd(v, 1), false],
        ['fieldSub', () => fieldSub(1, v), false],
        ['fieldMul', () => fieldMul(v, 1), false],
        ['fieldInv', () => fieldInv(v), false],
        ['lagrangeCoefficients', () => lagrangeCoefficients(v), false],
        ['packedLength', () => packedLength(v), false],
        ['bytesToFieldElements', () => bytesToFieldElements(v), false],
        ['fieldElementsToBytes', () => fieldElementsToBytes(v, 3), false],
        ['fieldElementsToBytes length', () => fieldElementsToBytes(new Uint32Array(1), v), false],
        ['shamirShare secret', () => shamirShare(v, { threshold: 1, shares: 1 }), false],
        ['shamirShare options', () => shamirShare(Uint32Array.of(1), v), false],
        [
          'shamirShare threshold',
          () => shamirShare(Uint32Array.of(1), { threshold: v, shares: 2 }),
          false,
        ],
        [
          'shamirShare indices',
          () => shamirShare(Uint32Array.of(1), { threshold: 1, indices: v }),
          false,
        ],
        ['shamirReconstruct shares', () => shamirReconstruct(v, { threshold: 1 }), true],
        ['shamirReconstruct share', () => shamirReconstruct([v], { threshold: 1 }), false],
        ['shamirReconstruct from', () => shamirReconstruct(two, { threshold: 2, from: v }), false],
        ['shareBytes', () => shareBytes(v, { threshold: 1, shares: 1 }), false],
        ['reconstructBytes', () => reconstructBytes([share], v), false],
        ['robustReconstruct', () => robustReconstruct(v, { threshold: 1 }), true],
        [
          'robustReconstruct maxErrors',
          () => robustReconstruct(two, { threshold: 1, maxErrors: v }),
          false,
        ],
        ['robustCombine', () => robustCombine(v), true],
      ];
      for (const [what, f, privaggOk] of cases) {
        if (value === undefined && (what.endsWith('from') || what.endsWith('maxErrors'))) continue;
        // [1, 2, 3] is a valid index list
        if (name === 'array' && (what === 'lagrangeCoefficients' || what.endsWith('indices')))
          continue;
        expect(throwsDocumented(f, privaggOk), `${what} with ${name}`).toBe(true);
      }
    }
  });
  it('rejects zero, duplicate and out-of-range indices, and too few shares', () => {
    expect(() => lagrangeCoefficients([0, 1])).toThrow(RangeError);
    expect(() => lagrangeCoefficients([1, 1])).toThrow(/duplicate/);
    expect(() => lagrangeCoefficients([FIELD_MODULUS])).toThrow(RangeError);
    expect(() => lagrangeCoefficients([])).toThrow(RangeError);
    expect(() => shamirShare(Uint32Array.of(1), { threshold: 1, indices: [2, 2] })).toThrow(
      RangeError,
    );
    expect(() => shamirShare(Uint32Array.of(FIELD_MODULUS), { threshold: 1, shares: 1 })).toThrow(
      RangeError,
    );
    expect(() => shamirShare(Uint32Array.of(1), { threshold: 3, shares: 2 })).toThrow(RangeError);
    expect(() =>
      shamirShare(Uint32Array.of(1), { threshold: 1, shares: 2, indices: [1, 2] }),
    ).toThrow(TypeError);
    expect(() => shamirReconstruct([two[0], two[0]] as never, { threshold: 1 })).toThrow(
      /duplicate/,
    );
    expect(() =>
      shamirReconstruct([{ index: 0, value: Uint32Array.of(1) }], { threshold: 1 }),
    ).toThrow(RangeError);
    expect(errorCode(() => shamirReconstruct(two.slice(0, 1), { threshold: 2 }))).toBe(
      'INSUFFICIENT_SHARES',
    );
    expect(() => shamirReconstruct(two, { threshold: 2, from: 1, to: 0 })).toThrow(RangeError);
    expect(() => reconstructBytes(two, { threshold: 2, byteLength: 32 })).toThrow(RangeError);
    expect(() => fieldElementsToBytes(Uint32Array.of(2 ** 30), 3)).toThrow(RangeError);
    expect(() => fieldElementsToBytes(Uint32Array.of(1 << 25), 3)).toThrow(RangeError); // padding bit set
  });
});
