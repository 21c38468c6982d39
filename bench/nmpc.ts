// `npm run bench:nmpc [-- --json]`: per-step wall time (median, p90) of the NMPC runtime's
// converged SQP and real-time iteration (runtime/nmpc; Diehl et al. 2002/2005) on the closed loops
// of ../shared/data/anchors/nmpc_cstr_cartpole.json (cart-pole balance from 0.2 rad and swing-up from
// hanging down, do-mpc's CSTR), with the
// CSTR compiled from examples/cstr/cstr.mpcrl (in process, the true rate factors alpha = beta = 1;
// the previous input fed as the runtime values prev_F, prev_Q, as the rollouts do), with the
// closed-loop costs, beside the reference's per-step times (CasADi/IPOPT, qpOASES, OSQP), which
// were measured on this machine kind at load 4-5 and are NOT measured here. The plant simulation
// is excluded from the step time, as in the reference. RTI: feedback (one QP) and preparation
// (shift, linearization) are reported separately and together. The load average is printed
// before and after: the 2 cores are shared.
//
// Second section, the scaling benchmark (bench/nmpc_chain.ts): the hanging chain of masses
// (Wirsching, Bock & Diehl 2006; acados' chain_mass), M = 3..10 masses (nx = 6M - 9 states, 3
// inputs), its `.mpcrl` text generated per M and compiled in process, a closed loop of
// `--chain-steps` (default 30) steps from a perturbed rest position with SQP and RTI, and its
// linearization at rest as a linear MPC (the QP path) against the same nonlinear plant: per-step
// median/p90, QPs per step, statuses of every step (failures are shown, not hidden), retained heap
// (heapUsed after a full GC with the controller alive minus before compiling) and the peak heapUsed
// delta during the loop, and the growth exponents of the median step time against nx (least
// squares on log-log; for the SQP also of the median step time per QP iteration, since its
// iteration count per step grows with the size). `--chain-max M` limits the sizes (default 10), `--no-chain` skips it.

import { readFileSync } from "node:fs";
import { compileToModule } from "../compiler/index.js";
import { NmpcController } from "../runtime/nmpc/controller.js";
import { StepIntegrator } from "../runtime/nmpc/integrator.js";
import { cartpoleModel, cartpolePlant, cartpoleStageCost, cstrStageCost } from "../runtime/nmpc/test/models.js";
import { emitJson, loadAverage, loadLine, log, median, numArg, quantile } from "./common.js";
import { chainLoop, growthExponent, type ChainRow } from "./nmpc_chain.js";

interface Timing {
  median_s: number;
  p90_s: number;
}
const anchors = JSON.parse(readFileSync(new URL("../../shared/data/anchors/nmpc_cstr_cartpole.json", import.meta.url), "utf8")) as {
  experiments: Record<string, { totals: Record<string, number>; timing: { step_wall: { all_steps: Timing } } }>;
};

const now = (): number => performance.now() / 1000;
const stat = (v: number[]): { median_s: number; p90_s: number } => ({ median_s: median(v), p90_s: quantile(v, 0.9) });

interface Row {
  system: string;
  mode: string;
  cost: number;
  step: { median_s: number; p90_s: number };
  feedback?: { median_s: number; p90_s: number };
  preparation?: { median_s: number; p90_s: number };
  iterations: number;
  notSolved: number;
  /** Swing-up: first step from which |theta| < 0.1 rad for the rest of the run (-1: never). */
  uprightFrom?: number;
  /** The SQP iteration cap when not the default (100). */
  maxIterations?: number;
  /** CSTR: the closed-loop cost's parts (the reference's `totals` name them alike) and the largest plant T_R. */
  parts?: { tracking: number; inputChange: number; softPenalty: number; maxTR: number };
}

/** The cart-pole closed loop of 250 steps: balance from 0.2 rad, or swing-up from hanging down
 *  (theta = pi, the same unwrapped cost: the reference's cartpole_swingup_* experiments). */
/** The swing-up's SQP iteration cap: Gauss-Newton converges linearly far from the upright, and its
 *  hardest step takes 126 iterations (the default cap of 100, acados' default too, left that step
 *  at max_iterations; IPOPT's default is 3000). */
const SWINGUP_SQP_MAX_ITERATIONS = 200;

function cartpole(mode: "sqp" | "rti", task: "balance" | "swingup" = "balance"): Row {
  const model = cartpoleModel();
  const cap = task === "swingup" && mode === "sqp" ? SWINGUP_SQP_MAX_ITERATIONS : undefined;
  const ctl = new NmpcController(model, { mode, theta: model.theta0, ...(cap !== undefined ? { sqp: { maxIterations: cap } } : {}) });
  const plant = cartpolePlant();
  let x: Float64Array = Float64Array.of(0, 0, task === "balance" ? 0.2 : Math.PI, 0);
  let uprightFrom = -1;
  let cost = 0;
  const step: number[] = [];
  const fb: number[] = [];
  const prep: number[] = [];
  let its = 0;
  let bad = 0;
  for (let k = 0; k < 250; k++) {
    const t0 = now();
    const r = ctl.act(x);
    step.push(now() - t0);
    if (r.feedbackTime !== undefined) fb.push(r.feedbackTime);
    if (r.preparationTime !== undefined) prep.push(r.preparationTime);
    its += r.stats.iterations;
    if (!r.ok) bad++;
    cost += cartpoleStageCost(x, r.u);
    x = plant(x, r.u);
    if (Math.abs(x[2]) >= 0.1) uprightFrom = -1;
    else if (uprightFrom < 0) uprightFrom = k + 1;
  }
  return {
    system: `cartpole_${task}`,
    mode,
    cost,
    step: stat(step),
    ...(mode === "rti" ? { feedback: stat(fb), preparation: stat(prep) } : {}),
    iterations: its / 250,
    notSolved: bad,
    ...(task === "swingup" ? { uprightFrom } : {}),
    ...(cap !== undefined ? { maxIterations: cap } : {}),
  };
}

const cstrSpec = compileToModule(readFileSync(new URL("../examples/cstr/cstr.mpcrl", import.meta.url), "utf8"), { fileName: "examples/cstr/cstr.mpcrl" }).nlpModule;
if (cstrSpec === undefined) throw new Error("examples/cstr/cstr.mpcrl does not compile");

function cstr(mode: "sqp" | "rti"): Row {
  const spec = cstrSpec!;
  const truth = Float64Array.of(1, 1);
  // RTI from a converged first step, as the references it is shown beside (CasADi RTI: rti_init converged)
  const ctl = spec.createController({ theta: truth, mode, rtiInit: "converged" });
  // the plant: the spec's equations at the true parameters, RK4 with 100 substeps (the reference's is cvodes)
  const m = spec.template.model;
  const none = new Float64Array(0);
  const plant = new StepIntegrator(4, 2, 2, (x, u, th, rt, o) => m.dynamics(x, u, th, rt, o), { kind: "rk4", dt: 0.005, substeps: 100 });
  let x: Float64Array = Float64Array.of(0.8, 0.5, 134.14, 130.0);
  let uPrev: Float64Array = Float64Array.of(0, 0);
  let cost = 0;
  // the parts of cstrStageCost, summed alike (tracking of C_b, input changes, soft T_R penalty)
  const parts = { tracking: 0, inputChange: 0, softPenalty: 0, maxTR: -Infinity };
  const step: number[] = [];
  const fb: number[] = [];
  const prep: number[] = [];
  let its = 0;
  let bad = 0;
  for (let k = 0; k < 100; k++) {
    const runtime = { prev_F: [uPrev[0]], prev_Q: [uPrev[1]] };
    const t0 = now();
    const r = ctl.act(x, runtime);
    step.push(now() - t0);
    const nlp = ctl.lastAct!;
    if (nlp.feedbackTime !== undefined) fb.push(nlp.feedbackTime);
    if (nlp.preparationTime !== undefined) prep.push(nlp.preparationTime);
    its += nlp.stats.iterations;
    if (!nlp.ok || r.fallback) bad++;
    const u = Float64Array.from(r.u);
    cost += cstrStageCost(x, u, uPrev);
    parts.tracking += (x[1] - 0.6) ** 2;
    parts.inputChange += 0.1 * ((u[0] - uPrev[0]) / 100) ** 2 + 1e-3 * ((u[1] - uPrev[1]) / 2000) ** 2;
    parts.softPenalty += 100 * Math.max(0, x[2] - 140);
    parts.maxTR = Math.max(parts.maxTR, x[2]);
    x = Float64Array.from(plant.step(x, u, truth, none).f);
    uPrev = u;
  }
  // the final state x_100 too (the reference's T_R_max is over x_0..x_K)
  parts.maxTR = Math.max(parts.maxTR, x[2]);
  return { system: "cstr", mode, cost, step: stat(step), ...(mode === "rti" ? { feedback: stat(fb), preparation: stat(prep) } : {}), iterations: its / 100, notSolved: bad, parts };
}

const ms = (s: number): string => (s * 1e3).toFixed(3);

const loadBefore = loadAverage();
log(loadLine("before"));
// one untimed warm-up run of each (JIT)
cartpole("sqp");
cstr("sqp");
const rows: Row[] = [cartpole("sqp"), cartpole("rti"), cartpole("sqp", "swingup"), cartpole("rti", "swingup"), cstr("sqp"), cstr("rti")];
const loadAfter = loadAverage();

const refs: [string, string, string][] = [
  ["cartpole_balance", "sqp", "cartpole_balance_ipopt"],
  ["cartpole_balance", "rti", "cartpole_balance_rti_osqp"],
  ["cartpole_balance", "rti", "cartpole_balance_rti_qpoases"],
  ["cartpole_swingup", "sqp", "cartpole_swingup_ipopt"],
  ["cartpole_swingup", "rti", "cartpole_swingup_rti_qpoases"],
  ["cstr", "sqp", "cstr_ms_rk4_ipopt"],
  ["cstr", "rti", "cstr_ms_rk4_rti_osqp"],
  ["cstr", "rti", "cstr_ms_rk4_rti_qpoases"],
];
const refUpright = (name: string): number | undefined => anchors.experiments[name].totals["first_step_with_|theta|<0.1_for_rest"];
const refCost = (name: string): number => {
  const t = anchors.experiments[name].totals;
  return t.closed_loop_cost_all_steps ?? t["closed_loop_cost_sum_k0_to_K-1"];
};

log("");
log("measured here (mpcrl runtime/nmpc; plant excluded; cart-pole plant = model RK4; CSTR = examples/cstr/cstr.mpcrl compiled in process, plant = its equations, RK4 x100 substeps):");
log("system            mode  cost          step median/p90 ms    feedback median/p90 ms  preparation median/p90 ms  QPs/step  not solved  upright from");
for (const r of rows)
  log(
    `${r.system.padEnd(17)} ${r.mode.padEnd(5)} ${r.cost.toPrecision(8).padEnd(13)} ${`${ms(r.step.median_s)} / ${ms(r.step.p90_s)}`.padEnd(21)} ${(r.feedback ? `${ms(r.feedback.median_s)} / ${ms(r.feedback.p90_s)}` : "-").padEnd(23)} ${(r.preparation ? `${ms(r.preparation.median_s)} / ${ms(r.preparation.p90_s)}` : "-").padEnd(26)} ${r.iterations.toFixed(2).padEnd(9)} ${String(r.notSolved).padEnd(11)} ${r.uprightFrom ?? "-"}`,
  );
const refParts = (name: string): { tracking: number; inputChange: number; softPenalty: number; maxTR: number } => {
  const t = anchors.experiments[name].totals;
  return { tracking: t.tracking_sum_all, inputChange: t.du_penalty_sum_all, softPenalty: t.soft_penalty_sum_all, maxTR: t.T_R_max };
};
log("");
log("CSTR closed-loop cost by part (ours vs cstr_ms_rk4_ipopt's totals): tracking of C_b, input changes, soft T_R penalty; largest plant T_R");
for (const r of rows) {
  if (r.parts === undefined) continue;
  const ref = refParts("cstr_ms_rk4_ipopt");
  const rel = (a: number, b: number): string => (b === 0 ? `${a.toExponential(3)} vs 0` : `${a.toPrecision(8)} vs ${b.toPrecision(8)} (${((a - b) / b).toExponential(1)})`);
  log(`  ${r.mode.padEnd(4)} tracking ${rel(r.parts.tracking, ref.tracking)}; input changes ${rel(r.parts.inputChange, ref.inputChange)}; soft penalty ${rel(r.parts.softPenalty, ref.softPenalty)}; max T_R ${r.parts.maxTR.toFixed(7)} vs ${ref.maxTR.toFixed(7)}`);
}
log("");
log("reference (CasADi/IPOPT, measured on this machine kind at load 4-5, not measured here; CSTR plant = cvodes):");
log("experiment                      cost          step median/p90 ms  upright from");
for (const [, , name] of refs) {
  const t = anchors.experiments[name].timing.step_wall.all_steps;
  log(`${name.padEnd(31)} ${refCost(name).toPrecision(8).padEnd(13)} ${`${ms(t.median_s)} / ${ms(t.p90_s)}`.padEnd(19)} ${refUpright(name) ?? "-"}`);
}
log("");
log(loadLine("after"));

// the hanging chain: scaling in the number of states
const chainRows: ChainRow[] = [];
const chainExponents: Record<string, number> = {};
let chainLoad: { before: number[]; after: number[] } | undefined;
if (!process.argv.includes("--no-chain")) {
  const steps = numArg("--chain-steps", 30);
  const maxM = numArg("--chain-max", 10);
  chainLoad = { before: loadAverage(), after: [] };
  log("");
  log(`hanging chain (bench/nmpc_chain.ts; Wirsching, Bock & Diehl 2006, acados chain_mass): N = 20, dt = 0.2, RK4 x2 per interval, ${steps} closed-loop steps from rest pushed by u = [-1, 1, 1] for 0.2 s`);
  log(loadLine("before the chain"));
  for (const mode of ["sqp", "rti", "linear"] as const) chainLoop(4, mode, 5); // warm-up (JIT) of each path
  log("M   nx  mode    step median/p90 ms      first ms   QPs/step  compile s  retained heap MB  peak heap delta MB  |x-xr| start->end  statuses");
  for (let M = 3; M <= maxM; M++) {
    for (const mode of ["sqp", "rti", "linear"] as const) {
      const r = chainLoop(M, mode, steps);
      chainRows.push(r);
      const st = Object.entries(r.statuses)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ");
      log(
        `${String(M).padEnd(3)} ${String(r.nx).padEnd(3)} ${mode.padEnd(7)} ${`${ms(r.step.median_s)} / ${ms(r.step.p90_s)}`.padEnd(23)} ${ms(r.first_s).padEnd(10)} ${r.qpsPerStep.toFixed(2).padEnd(9)} ${r.compile_s.toFixed(3).padEnd(10)} ${(r.retainedHeapBytes / 2 ** 20).toFixed(2).padEnd(17)} ${(r.peakHeapDeltaBytes / 2 ** 20).toFixed(2).padEnd(19)} ${`${r.initialDeviation.toFixed(3)} -> ${r.finalDeviation.toExponential(2)}`.padEnd(19)} ${st}`,
      );
    }
  }
  for (const mode of ["sqp", "rti", "linear"] as const) {
    const rs = chainRows.filter((r) => r.mode === mode);
    if (rs.length >= 2) chainExponents[mode] = growthExponent(rs.map((r) => r.nx), rs.map((r) => r.step.median_s));
  }
  // the SQP's cost per QP iteration (its iteration count per step varies with the size)
  const sqpRows = chainRows.filter((r) => r.mode === "sqp");
  if (sqpRows.length >= 2) chainExponents.sqp_per_qp = growthExponent(sqpRows.map((r) => r.nx), sqpRows.map((r) => r.step.median_s / r.qpsPerStep));
  log(`growth exponents of the median step time in nx (least squares, log-log): ${Object.entries(chainExponents).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(", ")}`);
  chainLoad.after = loadAverage();
  log(loadLine("after the chain"));
}

emitJson({
  bench: "nmpc",
  date: new Date().toISOString(),
  measured: rows,
  reference: {
    note: "CasADi/IPOPT, measured on this machine kind at load 4-5, not measured here",
    experiments: refs.map(([system, mode, name]) => ({ system, mode, name, cost: refCost(name), step: anchors.experiments[name].timing.step_wall.all_steps, uprightFrom: refUpright(name), ...(system === "cstr" ? { parts: refParts(name) } : {}) })),
  },
  load: { before: loadBefore, after: loadAfter },
  ...(chainLoad !== undefined ? { chain: { rows: chainRows, exponents: chainExponents, load: chainLoad } } : {}),
});
