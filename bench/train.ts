// npm run bench:train: wall time of the Gros & Zanon Q-learning run (published config, 5000 steps,
// the recorded noise of mpcrl's run replayed), median of several runs, steps per second, and the
// figures beside mpcrl's (ANCHORS.md section 3): J, last violating step, final parameters.
// mpcrl's wall time is a reference from ../shared/ANCHORS.md section 3, not measured here (the
// Python library is not installed on this machine). The load average is printed: the machine is shared.
// Options: --runs N (default 3), --steps N (default 5000), --nominal (also time the no-learning run),
// --json (one JSON object on stdout, the text on stderr).

import { readFileSync } from "node:fs";
import { compileToModule } from "../compiler/index.js";
import { QLearning } from "../runtime/learn/q_learning.js";
import { PolicyEvaluation } from "../runtime/learn/evaluate.js";
import type { EpisodicTrainer } from "../runtime/learn/types.js";
import { RecordedDisturbance } from "../runtime/plants/disturbance.js";
import { thetaToJson } from "../runtime/run/params.js";
import { LinearPlant } from "../runtime/plants/linear.js";
import { QuadraticQ } from "../runtime/learn/test/doubles.js";
import { emitJson, loadAverage, loadLine, log, median } from "./common.js";

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const runs = opt("--runs", 3);
const steps = opt("--steps", 5000);
const data = new URL("../../shared/data/anchors/", import.meta.url);
const anchor = JSON.parse(readFileSync(new URL("gz_qlearning_mpcrl_5000.json", data), "utf8")) as {
  noise_e: number[];
  J: number;
  params_final: Record<string, unknown>;
  costs: number[];
  states: number[][];
};
const nominal = JSON.parse(readFileSync(new URL("gz_nominal_mpcrl_5000.json", data), "utf8")) as { noise_e: number[]; J: number; states: number[][] };
const source = readFileSync(new URL("../examples/gros_zanon/linear_mpc.mpcrl", import.meta.url), "utf8");
const { module, diagnostics } = compileToModule(source, { fileName: "linear_mpc.mpcrl" });
if (!module?.createPlant) {
  console.error(diagnostics.map((d) => d.message).join("\n"));
  process.exit(1);
}

function run(learn: boolean, noise: number[]): { seconds: number; J: number; last: number | null; theta: Float64Array; maxDev: number; states: number[][] } {
  const mpc = module!.createController({ firstInputBounds: "removed" });
  const plant = module!.createPlant!({ disturbance: new RecordedDisturbance(noise.map((e) => [e, 0])) });
  const trainer: EpisodicTrainer = learn
    ? new QLearning(mpc, plant, { seed: 69, optimizer: { kind: "newton", lr: 5e-2 }, replay: { size: 1, sample: 1 } })
    : new PolicyEvaluation(mpc, plant, { seed: 69 });
  const t0 = performance.now();
  trainer.beginEpisode(0);
  let J = 0;
  let last: number | null = null;
  const states: number[][] = [];
  for (let k = 0; k < steps; k++) {
    const r = trainer.step();
    J += r.cost;
    if (r.violations > 0) last = k;
    states.push([r.state[0], r.state[1]]);
  }
  trainer.endEpisode();
  if (process.env.BENCH_STATS) console.error((mpc as unknown as { stats?: unknown }).stats);
  const seconds = (performance.now() - t0) / 1000;
  const ref = learn ? anchor.states : nominal.states;
  let maxDev = 0;
  states.forEach((s, k) => s.forEach((v, i) => (maxDev = Math.max(maxDev, Math.abs(v - ref[k][i])))));
  return { seconds, J, last, theta: trainer.getTheta(), maxDev, states };
}

const loadStart = loadAverage();
log(loadLine("at start"));
const json: Record<string, unknown> = { bench: "train", date: new Date().toISOString(), runs, steps };
const times: number[] = [];
let result: ReturnType<typeof run> | undefined;
for (let i = 0; i < runs; i++) {
  result = run(true, anchor.noise_e);
  times.push(result.seconds);
  process.stderr.write(`run ${i + 1}/${runs}: ${result.seconds.toFixed(2)} s\n`);
}
const med = median(times);
const refJ = steps === 5000 ? anchor.J : anchor.costs.slice(0, steps).reduce((a, b) => a + b, 0);
log(`Q-learning, Gros & Zanon, ${steps} steps (published config, mpcrl's noise replayed)`);
log(`  wall time   median ${med.toFixed(2)} s of ${runs} runs (min ${Math.min(...times).toFixed(2)}, max ${Math.max(...times).toFixed(2)}); ${(steps / med).toFixed(0)} steps/s`);
log(`  mpcrl       23 to 37 s: reference from ANCHORS.md section 3, not measured here (goal: <= 1.5 s); 23 s / ours: ${(23 / med).toFixed(1)}x, not a side-by-side measurement`);
log(`  J           ${result!.J.toFixed(4)}  (mpcrl ${refJ.toFixed(4)}, ${(((result!.J - refJ) / refJ) * 100).toFixed(2)}%)`);
log(`  last violating step ${result!.last ?? "none"} (mpcrl: 1206); max |state - mpcrl's| ${result!.maxDev.toExponential(2)}`);
log(`  final params ${JSON.stringify(thetaToJson(module.createController().params, result!.theta))}`);
log(`  mpcrl's      ${JSON.stringify(anchor.params_final)}`);
Object.assign(json, {
  qlearning: {
    medianSeconds: med,
    minSeconds: Math.min(...times),
    maxSeconds: Math.max(...times),
    stepsPerSecond: steps / med,
    J: result!.J,
    mpcrlJ: refJ,
    lastViolatingStep: result!.last,
    mpcrlLastViolatingStep: 1206,
    maxStateDeviation: result!.maxDev,
    params: thetaToJson(module.createController().params, result!.theta),
    mpcrlParams: anchor.params_final,
    mpcrlSeconds: "23 to 37 (reference, ANCHORS.md section 3, not measured here)",
  },
});
if (args.includes("--nominal")) {
  const n = run(false, nominal.noise_e);
  const refN = steps === 5000 ? nominal.J : NaN;
  log(`No learning (initial params), ${steps} steps: ${n.seconds.toFixed(2)} s, J ${n.J.toFixed(4)} (mpcrl ${refN.toFixed(3)}), max |state dev| ${n.maxDev.toExponential(2)}`);
  json.nominal = { seconds: n.seconds, J: n.J, mpcrlJ: refN, lastViolatingStep: n.last };
  // The closed loop is chaotic: the same exact controller with its first action moved by eps
  // leaves the unperturbed trajectory exponentially fast (mpcrl's interior-point solutions are
  // ~2.5e-8 off the exact first action, so no solver can follow its recording for long).
  const loop = (eps: number): { states: number[][]; J: number } => {
    const mpc = module!.createController({ firstInputBounds: "removed" });
    const plant = module!.createPlant!({ disturbance: new RecordedDisturbance(nominal.noise_e.map((e) => [e, 0])) });
    let s = Float64Array.from(plant.reset(0));
    const out: number[][] = [];
    let J = 0;
    for (let k = 0; k < steps; k++) {
      out.push([s[0], s[1]]);
      const u = mpc.act(s).u;
      if (k === 0) u[0] += eps;
      const st = plant.step(u);
      J += st.cost;
      s = Float64Array.from(st.observation);
    }
    return { states: out, J };
  };
  const base = loop(0);
  for (const eps of [1e-12, 2.5e-8]) {
    const p = loop(eps);
    const first = (tol: number) => p.states.findIndex((x, k) => Math.max(Math.abs(x[0] - base.states[k][0]), Math.abs(x[1] - base.states[k][1])) > tol);
    log(`  first action + ${eps}: |state change| > 1e-6 from step ${first(1e-6)}, > 1e-4 from step ${first(1e-4)}, > 1e-2 from step ${first(1e-2)}; J ${p.J.toFixed(3)} (unperturbed ${base.J.toFixed(3)})`);
  }
}

// The learner's own cost per step, with an analytic controller (no QP): replay, Newton step with
// the added-identity Cholesky, safety QP, monitors.
{
  const n = 200_000;
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const mpc = new QuadraticQ([0, 2, 0, 2], 0.9);
    const plant = new LinearPlant({ A: [0.9], B: [0.5], initialState: [1], Q: [2], R: [2] });
    const q = new QLearning(mpc, plant, {
      seed: 1,
      optimizer: { kind: "newton", lr: 1e-3 },
      replay: { size: 1, sample: 1 },
      safety: { maxRelativeChange: 1e3 },
      exploration: { kind: "additive", distribution: "normal", scale: 0.1 },
    });
    const t0 = performance.now();
    q.beginEpisode(0);
    for (let k = 0; k < n; k++) q.step();
    times.push((performance.now() - t0) / 1000);
  }
  const m = median(times);
  log(`Learner alone (analytic Q, 4 parameters, trust-region QP each step): median of 3 runs ${((m / n) * 1e6).toFixed(2)} us/step, ${(n / m / 1000).toFixed(0)}k steps/s`);
  json.learnerUsPerStep = (m / n) * 1e6;
}
log(loadLine("at end"));
json.load = { start: loadStart, end: loadAverage() };
emitJson(json);
