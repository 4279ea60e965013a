/**
 * `privagg/secagg`: secure aggregation. A server learns the sum of many clients' vectors and
 * nothing else, while clients drop out at any stage: SecAgg (Bonawitz et al. 2017) and SecAgg+
 * (Bell et al. 2020) with double masking, a semi-honest and a malicious-server tier,
 * transport-agnostic client and server state machines, plan-time overflow and threshold checks,
 * and an in-process simulation with real cryptography.
 * @module
 */
export {
  type SecAggTier,
  type SecAggPlan,
  type SecAggPlanOptions,
  type SecAggPlusFinderOptions,
  type SecAggPlusParameters,
  planSecAgg,
  findSecAggPlusParameters,
} from './params.ts';
export type { SecAggStage } from './stages.ts';
export { type SecAggClientOptions, SecAggClient } from './client.ts';
export {
  type SecAggServerOptions,
  type SecAggRejection,
  type SecAggDropped,
  type SecAggResult,
  SecAggServer,
} from './server.ts';
export { SecAggWorkerPool } from './pool.ts';
export {
  type SecAggDropouts,
  type SecAggMaliciousServer,
  type SecAggUnmaskRequest,
  type SecAggForwardedShare,
  type SecAggRevealedShare,
  type SecAggSimulationOptions,
  type SecAggSimulationResult,
  simulateSecAgg,
} from './simulate.ts';
