export * from "./sparse/csc.js";
export * from "./sparse/ops.js";
export * from "./linalg/amd.js";
export * from "./linalg/ldl.js";
export * from "./qp/types.js";
export * from "./qp/osqp.js";
export * from "./qp/io.js";
export * from "./mpc/index.js";
export * from "./rng.js";
export * from "./plants/types.js";
export * from "./plants/disturbance.js";
export * from "./plants/function_plant.js";
// Training settings (a compiled module's `trainConfig`) and the trainer factory; browser-safe.
export type { TrainSpec, Algorithm as TrainAlgorithm, SettingArg, SettingData, SpecDerived } from "./learn/config.js";
export { defaultTrainSpec, interpretTrainSettings, SettingError } from "./learn/config.js";
export type { ExplorationSpec } from "./learn/exploration.js";
export type { OptimizerSpec } from "./learn/optimizers.js";
export type { ScheduleSpec } from "./learn/schedules.js";
export * from "./learn/factory.js";
// The end-of-training verdict (statistics, diagnostics, hint rules) and its held-out rollouts; browser-safe.
export * from "./learn/verdict.js";
export { evaluateHeldOut, type HeldOutEpisode, type HeldOutOptions } from "./learn/evaluate.js";
export type { OcpModel, DynamicsOut, StageOut, StageFunction, GeneralCost, GeneralCostOut, SoftConstraint, Integrator, NlpStatus, NlpStats } from "./nmpc/types.js";
export { NmpcController, type NmpcControllerOptions } from "./nmpc/controller.js";
export { MultipleShootingSqp, type SqpOptions } from "./nmpc/sqp.js";
export { NonlinearMpc, type NonlinearMpcOptions, type NlpTemplate } from "./nmpc/learnable.js";
