// The Gros & Zanon example against mpcrl's recorded runs (../shared/data/anchors/): the spec's
// controller and plant, compiled in process, with mpcrl's noise replayed. These check the parts
// that reproduce step for step; the long-run figures (J over 5000 steps, seeds) are measured by
// `npm run bench:train` and reported in this folder's README.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compileToModule } from "../../compiler/index.js";
import { PolicyEvaluation } from "../../runtime/learn/evaluate.js";
import { QLearning } from "../../runtime/learn/q_learning.js";
import { RecordedDisturbance } from "../../runtime/plants/disturbance.js";

const data = new URL("../../../shared/data/anchors/", import.meta.url);
interface Anchor {
  noise_e: number[];
  states: number[][];
  actions: number[];
  costs: number[];
  td_errors: number[];
  J: number;
}
const load = (f: string) => JSON.parse(readFileSync(new URL(f, data), "utf8")) as Anchor;

function build(file: string, firstInputBounds: "removed" | "kept", noise: number[]) {
  const src = readFileSync(new URL(file, import.meta.url), "utf8");
  const { module, diagnostics } = compileToModule(src, { fileName: file });
  if (!module?.createPlant) throw new Error(diagnostics.map((d) => d.message).join("\n"));
  const mpc = module.createController({ firstInputBounds });
  const plant = module.createPlant({ disturbance: new RecordedDisturbance(noise.map((e) => [e, 0])) });
  return { mpc, plant };
}

describe("Gros & Zanon against mpcrl", () => {
  it("the nominal controller reproduces mpcrl's first 20 closed-loop steps (states within 1e-5, actions and costs within 1e-4)", () => {
    const ref = load("gz_nominal_mpcrl_5000.json");
    const { mpc, plant } = build("linear_mpc.mpcrl", "removed", ref.noise_e);
    const ev = new PolicyEvaluation(mpc, plant, { seed: 69 });
    ev.beginEpisode(0);
    for (let k = 0; k < 20; k++) {
      const r = ev.step();
      expect(Math.abs(r.state[0] - ref.states[k][0])).toBeLessThan(1e-5);
      expect(Math.abs(r.state[1] - ref.states[k][1])).toBeLessThan(1e-5);
      expect(Math.abs(r.action[0] - ref.actions[k])).toBeLessThan(1e-4);
      expect(Math.abs(r.cost - ref.costs[k])).toBeLessThan(1e-4); // penalty slopes of 50 amplify state errors
    }
  });

  it("Q-learning in mpcrl's regression config reproduces the TD errors and states of the first 6 steps", () => {
    const ref = load("gz_qlearning_mpcrl_testcfg_100.json");
    const { mpc, plant } = build("linear_mpc_testcfg.mpcrl", "kept", ref.noise_e);
    const q = new QLearning(mpc, plant, { seed: 69, optimizer: { kind: "newton", lr: 5e-2 }, safety: { maxRelativeChange: 1e3 } });
    q.beginEpisode(0);
    for (let k = 0; k < 6; k++) {
      const r = q.step();
      expect(Math.abs(r.state[0] - ref.states[k][0])).toBeLessThan(1e-5);
      expect(Math.abs(r.action[0] - ref.actions[k])).toBeLessThan(1e-5);
      expect(Math.abs(r.tdError - ref.td_errors[k])).toBeLessThan(1e-5 * (1 + Math.abs(ref.td_errors[k])));
    }
  });

  // At step 5 the action saturates (a = 1): with the bound on u_0 kept in Q, the bound and u_0 = a
  // are both active (LICQ fails), but Q and dQ/dtheta are the same as with the bound removed, and
  // the trust region (>= 0.1) is far from the step (~1e-3). So the regression config must follow
  // mpcrl's published run (bounds removed, no trust region) here; mpcrl's own regression trace
  // leaves it at step 6 by 7.7e-4 (3.53513 vs 3.53435), a solver artefact of mpcrl's run.
  it("Q-learning with the first-input bounds kept follows mpcrl's bounds-removed run through the saturated action at step 5", () => {
    const cfg = load("gz_qlearning_mpcrl_testcfg_100.json");
    const pub = load("gz_qlearning_mpcrl_5000.json");
    const kept = build("linear_mpc_testcfg.mpcrl", "kept", cfg.noise_e);
    const removed = build("linear_mpc.mpcrl", "removed", pub.noise_e);
    const qk = new QLearning(kept.mpc, kept.plant, { seed: 69, optimizer: { kind: "newton", lr: 5e-2 }, safety: { maxRelativeChange: 1e3 } });
    const qr = new QLearning(removed.mpc, removed.plant, { seed: 69, optimizer: { kind: "newton", lr: 5e-2 } });
    qk.beginEpisode(0);
    qr.beginEpisode(0);
    for (let k = 0; k < 8; k++) {
      const rk = qk.step();
      const rr = qr.step();
      expect(Math.abs(rk.tdError - rr.tdError)).toBeLessThan(1e-9 * (1 + Math.abs(rr.tdError)));
      expect(Math.abs(rk.action[0] - rr.action[0])).toBeLessThan(1e-9);
      expect(Math.abs(rk.tdError - pub.td_errors[k])).toBeLessThan(1e-5 * (1 + Math.abs(pub.td_errors[k])));
    }
    expect(cfg.actions[5]).toBe(1);
  });
});
