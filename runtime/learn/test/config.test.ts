import { describe, expect, it } from "vitest";
import { interpretTrainSettings, SettingError, type SettingArg, type SettingData } from "../config.js";

const n = (value: number): SettingArg => ({ kind: "number", value });
const w = (value: string): SettingArg => ({ kind: "word", value });
const call = (name: string, named: Record<string, SettingArg> = {}, positional: SettingArg[] = []): SettingArg => ({ kind: "call", name, named, positional });
const s = (key: string, args: SettingArg[], block?: SettingData[]): SettingData => ({ key, args, ...(block ? { block } : {}) });

describe("train settings", () => {
  it("reads the published Gros & Zanon configuration", () => {
    const spec = interpretTrainSettings([
      s("algorithm", [w("q_learning")], [
        s("optimizer", [call("newton", { lr: n(5e-2) })]),
        s("hessian", [w("approximate")]),
        s("update", [w("every"), n(1), w("steps")]),
        s("replay", [w("size"), n(1), w("sample"), n(1)]),
        s("first_input_bounds", [w("removed")]),
      ]),
      s("episodes", [n(1)]),
      s("steps", [n(5000)]),
      s("seed", [n(69)]),
    ]);
    expect(spec).toMatchObject({
      algorithm: "q_learning",
      optimizer: { kind: "newton", lr: 5e-2 },
      updateEvery: 1,
      updateUnit: "steps",
      replay: { size: 1, sample: 1 },
      firstInputBounds: "removed",
      episodes: 1,
      steps: 5000,
      seed: 69,
      trustRegion: Infinity,
    });
  });

  it("reads exploration, schedules, DPG and evaluation settings", () => {
    const spec = interpretTrainSettings([
      s("algorithm", [w("dpg")], [s("exploration", [call("ou", { sigma: n(0.05), theta: n(0.15) })]), s("rollout_length", [n(100)])]),
      s("schedule", [call("exponential", { rate: n(0.99) })]),
      s("evaluation", [w("every"), n(10), w("episodes"), n(5)]),
      s("trust_region", [n(1e3)]),
    ]);
    expect(spec.algorithm).toBe("dpg");
    expect(spec.optimizer).toEqual({ kind: "sgd", lr: { kind: "exponential", value: 1e-6, factor: 0.99 } });
    expect(spec.exploration).toEqual({ kind: "ornstein_uhlenbeck", mean: 0, sigma: 0.05, theta: 0.15, dt: 1 });
    expect(spec.rolloutLength).toBe(100);
    expect(spec.evaluation).toEqual({ every: 10, episodes: 5 });
    expect(spec.trustRegion).toBe(1e3);
  });

  it("reports unknown settings and bad values by name", () => {
    expect(() => interpretTrainSettings([s("learning_rate", [n(1)])])).toThrow(SettingError);
    expect(() => interpretTrainSettings([s("optimizer", [call("newton", { rate: n(1) })])])).toThrow(/no argument `rate`/);
    expect(() => interpretTrainSettings([s("episodes", [n(0)])])).toThrow(/positive integer/);
    expect(() => interpretTrainSettings([s("replay", [w("size"), n(1), w("sample"), n(5)])])).toThrow(/larger than the size/);
    expect(() => interpretTrainSettings([s("optimizer", [call("newton")]), s("hessian", [w("none")])])).toThrow(/Newton/);
  });
});

describe("train settings never crash", () => {
  it("arbitrary settings give a spec or a SettingError, nothing else", async () => {
    const fc = (await import("fast-check")).default;
    const arg: import("fast-check").Arbitrary<SettingArg> = fc.letrec((tie) => ({
      arg: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        fc.double().map((value) => ({ kind: "number" as const, value })),
        fc.constantFrom("every", "steps", "episodes", "size", "sample", "q_learning", "dpg", "newton", "ou", "removed", "x").map((value) => ({ kind: "word" as const, value })),
        fc.record({
          kind: fc.constant("call" as const),
          name: fc.constantFrom("newton", "sgd", "adam", "ou", "additive", "epsilon_greedy", "gradient", "exponential", "linear", "safe", "zzz"),
          positional: fc.array(tie("arg") as import("fast-check").Arbitrary<SettingArg>, { maxLength: 2 }),
          named: fc.dictionary(fc.constantFrom("lr", "momentum", "sigma", "theta", "rate", "final", "steps", "epsilon", "decay"), tie("arg") as import("fast-check").Arbitrary<SettingArg>, { maxKeys: 3 }),
        }),
      ),
    })).arg;
    const keys = ["algorithm", "optimizer", "hessian", "update", "replay", "exploration", "schedule", "trust_region", "first_input_bounds", "episodes", "steps", "seed", "evaluation", "rollout_length", "initial_points", "dataset", "fallback", "bogus"];
    const setting = fc.record({ key: fc.constantFrom(...keys), args: fc.array(arg, { maxLength: 4 }) });
    fc.assert(
      fc.property(fc.array(setting, { maxLength: 6 }), (settings) => {
        try {
          const spec = interpretTrainSettings(settings);
          expect(spec.episodes).toBeGreaterThanOrEqual(1);
        } catch (err) {
          expect(err).toBeInstanceOf(SettingError);
        }
      }),
      { seed: 20261205, numRuns: 500 },
    );
  });
});
