/**
 * Privacy filters (odometers with a cap): each query states its cost before it runs, and a
 * query that would take the total past the budget is refused with `BUDGET_EXHAUSTED`, leaving
 * the state unchanged.
 * @module
 */
import { PrivaggError } from '../../core/index.ts';
import { aDelta, aEpsilon, aPositive, aRequired } from '../_validate.ts';
import { aNumberInRange } from '../../core/index.ts';

/** Every finite double is an integer multiple of 2^-1074: sums in these units are exact. */
const UNIT = 1074n;

function exact(x: number): bigint {
  // x = m * 2^e exactly; scale to units of 2^-1074 (x >= 0 here)
  let y = x;
  let shift = 0n;
  while (!Number.isInteger(y)) {
    y *= 2;
    shift++;
  }
  return BigInt(y) << (UNIT - shift);
}

function toNumber(units: bigint): number {
  const bits = units.toString(2).length;
  const drop = Math.max(0, bits - 60);
  return Number(units >> BigInt(drop)) * 2 ** (drop - 1074);
}

/**
 * An (epsilon, delta) budget or cost.
 * @since 0.1.0
 * @public
 */
export interface ApproxDpBudget {
  /** Epsilon, >= 2^-50 for a budget, >= 0 for a cost. */
  readonly epsilon: number;
  /** Delta in [0, 1). @defaultValue 0 */
  readonly delta?: number;
}

/**
 * Spent or remaining (epsilon, delta).
 * @since 0.1.0
 * @public
 */
export interface ApproxDpAmount {
  /** Epsilon. */
  readonly epsilon: number;
  /** Delta. */
  readonly delta: number;
}

/**
 * A privacy filter under basic composition: costs (epsilon_i, delta_i) add up (exactly: sums of
 * doubles are kept as exact rationals), and the total must stay within the budget. Valid when each cost is chosen adaptively (Rogers, Roth, Ullman,
 * Vadhan 2016: basic composition is a valid filter).
 *
 * @remarks
 * **Privacy guarantee**: the interaction as a whole is (epsilon, delta)-DP for the budget.
 * @example
 * ```ts
 * import { PrivacyFilter } from 'privagg/dp';
 * import { isPrivaggError } from 'privagg';
 * const filter = new PrivacyFilter({ epsilon: 1, delta: 1e-6 });
 * filter.spend({ epsilon: 0.6 });
 * try {
 *   filter.spend({ epsilon: 0.6 });
 * } catch (e) {
 *   if (isPrivaggError(e)) console.log(e.code); // 'BUDGET_EXHAUSTED'
 * }
 * console.log(filter.remaining().epsilon.toFixed(2)); // 0.40
 * ```
 * @since 0.1.0
 * @public
 */
export class PrivacyFilter {
  private readonly budget: { epsilon: number; delta: number };
  private readonly capEpsilon: bigint;
  private readonly capDelta: bigint;
  private spentEpsilon = 0n;
  private spentDelta = 0n;

  /**
   * @param budget - the total {@link ApproxDpBudget}
   * @throws {@link !TypeError} when the budget is missing, of the wrong type or has unknown keys
   * @throws {@link !RangeError} when a value is out of range
   */
  constructor(budget: ApproxDpBudget) {
    aRequired<ApproxDpBudget>('budget', budget, ['epsilon'], ['delta']);
    aEpsilon('budget.epsilon', budget.epsilon);
    const delta = budget.delta ?? 0;
    aDelta('budget.delta', delta);
    this.budget = { epsilon: budget.epsilon, delta };
    this.capEpsilon = exact(budget.epsilon);
    this.capDelta = exact(delta);
  }

  /**
   * Whether `cost` still fits the budget.
   * @param cost - an {@link ApproxDpBudget} (epsilon may be 0)
   * @returns true when spending it would stay within the budget
   * @throws {@link !TypeError} when the cost is malformed
   * @throws {@link !RangeError} when a value is out of range
   */
  canSpend(cost: ApproxDpBudget): boolean {
    aRequired<ApproxDpBudget>('cost', cost, ['epsilon'], ['delta']);
    aNumberInRange('cost.epsilon', cost.epsilon, 0, Number.MAX_VALUE);
    const delta = cost.delta ?? 0;
    aDelta('cost.delta', delta);
    return (
      this.spentEpsilon + exact(cost.epsilon) <= this.capEpsilon &&
      this.spentDelta + exact(delta) <= this.capDelta
    );
  }

  /**
   * Record `cost`, or refuse it.
   * @param cost - an {@link ApproxDpBudget}
   * @throws {@link index!PrivaggError} `BUDGET_EXHAUSTED` when the cost does not fit (nothing is recorded)
   * @throws {@link !TypeError} when the cost is malformed
   * @throws {@link !RangeError} when a value is out of range
   */
  spend(cost: ApproxDpBudget): void {
    if (!this.canSpend(cost))
      throw new PrivaggError(
        'BUDGET_EXHAUSTED',
        `privacy budget (epsilon ${this.budget.epsilon}, delta ${this.budget.delta}) would be exceeded`,
      );
    this.spentEpsilon += exact(cost.epsilon);
    this.spentDelta += exact(cost.delta ?? 0);
  }

  /** @returns the total spent so far (the exact sums of the costs, rounded to doubles) */
  spent(): ApproxDpAmount {
    return { epsilon: toNumber(this.spentEpsilon), delta: toNumber(this.spentDelta) };
  }

  /** @returns what is left of the budget (exact differences rounded to doubles) */
  remaining(): ApproxDpAmount {
    return {
      epsilon: toNumber(this.capEpsilon - this.spentEpsilon),
      delta: toNumber(this.capDelta - this.spentDelta),
    };
  }
}

/**
 * A privacy filter in zero-concentrated DP: rho costs add up within a rho budget (fully
 * adaptive composition of zCDP holds for filters: Whitehouse, Ramdas, Rogers, Wu 2023).
 *
 * @example
 * ```ts
 * import { ZcdpFilter } from 'privagg/dp';
 * const filter = new ZcdpFilter({ rho: 0.5 });
 * filter.spend(0.25);
 * console.log(filter.canSpend(0.3)); // false
 * ```
 * @since 0.1.0
 * @public
 */
export class ZcdpFilter {
  private readonly rho: bigint;
  private spentRho = 0n;

  /**
   * @param budget - `{ rho }`, rho > 0
   * @throws {@link !TypeError} when the budget is malformed
   * @throws {@link !RangeError} when rho is out of range
   */
  constructor(budget: { readonly rho: number }) {
    aRequired<{ rho: number }>('budget', budget, ['rho']);
    aPositive('budget.rho', budget.rho);
    this.rho = exact(budget.rho);
  }

  /**
   * @param rho - a cost >= 0
   * @returns whether it fits
   * @throws {@link !RangeError} when rho is negative or not finite
   * @throws {@link !TypeError} when rho is not a number
   */
  canSpend(rho: number): boolean {
    aNumberInRange('rho', rho, 0, Number.MAX_VALUE);
    return this.spentRho + exact(rho) <= this.rho;
  }

  /**
   * @param rho - a cost >= 0
   * @throws {@link index!PrivaggError} `BUDGET_EXHAUSTED` when it does not fit (nothing is recorded)
   * @throws {@link !RangeError} when rho is negative or not finite
   * @throws {@link !TypeError} when rho is not a number
   */
  spend(rho: number): void {
    if (!this.canSpend(rho))
      throw new PrivaggError(
        'BUDGET_EXHAUSTED',
        `zCDP budget rho ${toNumber(this.rho)} would be exceeded`,
      );
    this.spentRho += exact(rho);
  }

  /** @returns rho spent so far */
  spent(): number {
    return toNumber(this.spentRho);
  }
}
