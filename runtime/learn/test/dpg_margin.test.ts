// Margin-shaped DPG exploration (`exploration_margin`, runtime/learn/dpg.ts) on the Gros & Zanon
// DPG example: a short fixed-seed run violates the plant's state bounds less late in training
// than mpcrl's unshaped exploration; the default (0) is mpcrl's unshaped exploration.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { plantStateBox } from "../../../cli/plant_bounds.js";
import { compileToModule } from "../../../compiler/index.js";
import { defaultTrainSpec } from "../config.js";
import { controllerOptions, makeTrainer } from "../factory.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const source = readFileSync(`${root}examples/gros_zanon/linear_mpc_dpg.mpcrl`, "utf8");

/** Violating steps among the last `tail` of `steps` steps of one training episode. */
function run(explorationMargin: number, seed: number, steps: number, tail: number): { late: number } {
  const live = compileToModule(source).module!;
  const spec = { ...live.trainConfig, explorationMargin, steps, seed };
  const mpc = live.createController(controllerOptions(spec));
  const box = plantStateBox(live.plant, live.ir.nx);
  const trainer = makeTrainer(spec, mpc, live.createPlant!(), {
    seed,
    learn: true,
    inputLower: live.ir.u0Lower,
    inputUpper: live.ir.u0Upper,
    stateLower: box.lower,
    stateUpper: box.upper,
  });
  trainer.beginEpisode(0);
  let late = 0;
  for (let k = 0; k < steps; k++) {
    const r = trainer.step();
    if (k >= steps - tail && r.violations > 0) late++;
  }
  trainer.endEpisode();
  return { late };
}

describe("DPG margin-shaped exploration", () => {
  it("violates the state bounds less late in a short run (fixed seeds)", () => {
    let before = 0;
    let after = 0;
    // seeds 1..3, 3000 steps, violating steps in the last 500: 48 -> 5, 39 -> 2, 54 -> 83 (the run is
    // chaotic: it was 42 -> 32, 32 -> 33, 47 -> 30 before the solvers' refinement moved onto the
    // factored matrix, which changed the round-off of every solution, and seed 1 was 42 -> 21 before
    // the controller's interior-point fallback; the pinned string records the run, the bound below is
    // the claim)
    const per: string[] = [];
    for (const seed of [1, 2, 3]) {
      const b = run(0, seed, 3000, 500).late;
      const a = run(0.1, seed, 3000, 500).late;
      per.push(`${seed}: ${b} -> ${a}`);
      before += b;
      after += a;
    }
    expect(per.join(", ")).toBe("1: 48 -> 5, 2: 39 -> 2, 3: 54 -> 83");
    expect(after).toBeLessThan(0.8 * before);
  }, 20_000);

  it("is off by default (mpcrl's unshaped exploration)", () => {
    expect(defaultTrainSpec.explorationMargin).toBe(0);
    expect(compileToModule(source).module!.trainConfig.explorationMargin).toBe(0);
  });
});
