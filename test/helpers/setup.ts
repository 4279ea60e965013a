/**
 * Test setup: one fast-check seed per run. CI must pin it (FC_SEED) so a failure reproduces;
 * locally a fresh seed is drawn and printed on failure by fast-check.
 */
import fc from 'fast-check';

const raw = process.env.FC_SEED;
if (process.env.CI && (raw === undefined || raw === '')) {
  throw new Error('FC_SEED must be set in CI (fast-check seed), e.g. FC_SEED=42');
}
const seed = raw !== undefined && raw !== '' ? Number(raw) : Date.now() ^ (process.pid << 8);
if (!Number.isSafeInteger(seed)) throw new Error(`FC_SEED must be an integer, got ${raw}`);
fc.configureGlobal({ seed, numRuns: Number(process.env.FC_NUM_RUNS ?? 100) });
