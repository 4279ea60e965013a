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
export { flattenUpdate, restoreUpdate, type ModelUpdate, type UpdateLayout } from './fedavg.ts';
export {
  planAggregation,
  type AggregationPlan,
  type AggregationResult,
  type PlanDescription,
  type SimulateOptions,
} from './plan.ts';
export type { DropoutSchedule } from './protect.ts';
