/**
 * The private-aggregate API: plan an aggregation, explain it, run it.
 * @module
 */
export type {
  AggregationConfig,
  AccountantConfig,
  ClipConfig,
  PrivacyConfig,
  ProtectionConfig,
  QuantizationConfig,
} from './config.ts';
export {
  flattenUpdate,
  restoreUpdate,
  type FlatUpdate,
  type LayerLayout,
  type ModelUpdate,
  type RestoreOptions,
  type TensorFactory,
  type TensorLike,
  type UpdateLayer,
  type UpdateLayout,
} from './fedavg.ts';
export {
  planAggregation,
  type AggregationPlan,
  type AggregationResult,
  type PlanDescription,
  type PrivacyLoss,
  type PrivacyReport,
  type SimulateOptions,
} from './plan.ts';
export type { DropoutSchedule } from './protect.ts';
export {
  createMemoryTransport,
  type MemoryTransport,
  type MemoryTransportOptions,
} from './rounds/memory-transport.ts';
export type {
  ClientRoundOutcome,
  RoundClient,
  RoundClientEvent,
  RoundClientOptions,
  RoundEvent,
  RoundInvitation,
  RoundResult,
  RoundServer,
  RoundServerOptions,
  RoundUpdate,
  RunRoundOptions,
} from './rounds/types.ts';
export {
  helperKeyPair,
  type AggregationHelper,
  type AggregationHelperEndpoint,
  type AggregationHelperOptions,
} from './rounds/helpers.ts';
export type {
  AggregationKeyHolder,
  AggregationKeyHolderOptions,
} from './rounds/keyholders.ts';
export type { ResolvedQuantization } from './quantize.ts';
