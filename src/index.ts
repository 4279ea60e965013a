/**
 * privagg: private aggregation for federated learning. The root entry holds the private-aggregate
 * API (`planAggregation`) and the common types (errors, randomness).
 * @module
 */
export {
  type AccountantConfig,
  type AggregationConfig,
  type AggregationPlan,
  type AggregationHelper,
  type AggregationHelperEndpoint,
  type AggregationHelperOptions,
  type AggregationKeyHolder,
  type AggregationKeyHolderOptions,
  helperKeyPair,
  type AggregationResult,
  type ClientRoundOutcome,
  type ClipConfig,
  createMemoryTransport,
  type MemoryTransport,
  type MemoryTransportOptions,
  type RoundClient,
  type RoundClientEvent,
  type RoundClientOptions,
  type RoundEvent,
  type RoundInvitation,
  type RoundResult,
  type RoundServer,
  type RoundServerOptions,
  type RoundUpdate,
  type RunRoundOptions,
  type DropoutSchedule,
  type FlatUpdate,
  flattenUpdate,
  type LayerLayout,
  type UpdateLayer,
  type ModelUpdate,
  type PlanDescription,
  type PrivacyLoss,
  type PrivacyReport,
  type ResolvedQuantization,
  type PrivacyConfig,
  planAggregation,
  type ProtectionConfig,
  type QuantizationConfig,
  restoreUpdate,
  type RestoreOptions,
  type SimulateOptions,
  type TensorFactory,
  type TensorLike,
  type UpdateLayout,
} from './aggregate/index.ts';
export { ERROR_CODES, type ErrorCode, isPrivaggError, PrivaggError } from './core/errors.ts';
export { deterministicRngForTesting, type Rng, randomBytes } from './core/random.ts';
export type {
  ClientTransport,
  ClientTransportEvent,
  ServerTransport,
  ServerTransportEvent,
} from './core/transport.ts';
export { VERSION } from './version.ts';
