// `npx tsx bench/ipm.ts`: the interior-point QP solver + crossover (runtime/qp/ipm.ts) against the
// working-set method started cold (ActiveSetQp from an empty set) and ADMM (QpSolver, 1e-6 +
// polish, no warm start) on the 2-state MPC QP (A = [[0.9, 0.35], [0, 1.1]], B = [0.0813, 0.2],
// |u| <= 1, 0 <= x1 <= 1, -1 <= x2 <= 1, multiple shooting, x_0 pinned by equality rows, state
// target (1.2, 0) outside the box so x1 <= 1 is active along the horizon) at N = 10..320.
// Each method keeps one solver object per N (symbolic analysis outside the timing); the time per
// solve is the median of --reps repeats (after five warm-up solves). Iterations: IPM iterations
// (one factorization each), crossover working sets, cold working sets, ADMM iterations.
// Usage: npx tsx bench/ipm.ts [--reps N] [--gamma G (stage discount, default 1)] [--soft] [--json]

import { ActiveSetQp } from "../runtime/qp/active_set.js";
import { crossover, InteriorPointQp } from "../runtime/qp/ipm.js";
import { QpSolver } from "../runtime/qp/osqp.js";
import type { QpProblem } from "../runtime/qp/types.js";
import { mpcQp } from "../runtime/qp/test/mpc_qp.js";
import { emitJson, loadAverage, loadLine, log, median, numArg } from "./common.js";

const reps = numArg("--reps", 9);
const gamma = numArg("--gamma", 1);
const soft = process.argv.includes("--soft");
const horizons = [10, 20, 40, 80, 160, 320];
const x0: readonly [number, number] = [0.5, 0.5];

/** The MPC QP at horizon N (runtime/qp/test/mpc_qp.ts, shared with the tests). */
const qpAt = (N: number): QpProblem => mpcQp(N, x0, { soft, gamma });

interface Timing {
  ms: number;
  status: string;
  iterations: number;
}

function time(run: () => { status: string; iterations: number }): Timing {
  let last = run();
  for (let k = 0; k < 4; k++) last = run(); // warm-up (JIT)
  const t: number[] = [];
  for (let k = 0; k < reps; k++) {
    const t0 = performance.now();
    last = run();
    t.push(performance.now() - t0);
  }
  return { ms: median(t), status: last.status, iterations: last.iterations };
}

interface Row {
  N: number;
  n: number;
  m: number;
  ipm: Timing;
  crossoverSets: number;
  crossoverStatus: string;
  activeSetCold: Timing;
  admm: Timing;
}

const loadBefore = loadAverage();
log(`IPM + crossover vs ActiveSetQp (cold) vs ADMM on the 2-state MPC QP (gamma ${gamma}, ${soft ? "soft" : "hard"} state bounds), median of ${reps}`);
log(loadLine("before"));
const rows: Row[] = [];
for (const N of horizons) {
  const p = qpAt(N);
  const ipm = new InteriorPointQp(p.P, p.A);
  const asCross = new ActiveSetQp(p.P, p.A);
  const asCold = new ActiveSetQp(p.P, p.A);
  const guess = new Int8Array(p.m);
  const cold = new Int8Array(p.m);
  let crossoverSets = 0;
  let crossoverStatus = "";
  const ipmT = time(() => {
    const st = ipm.solve(p.P.values, p.q, p.A.values, p.l, p.u);
    crossoverStatus = st === "solved" ? crossover(ipm, asCross, p.P.values, p.q, p.A.values, p.l, p.u, guess) : "not_run";
    crossoverSets = asCross.iterations;
    return { status: st, iterations: ipm.iterations };
  });
  const coldT = time(() => {
    cold.fill(0);
    const st = asCold.solve(p.P.values, p.q, p.A.values, p.l, p.u, cold);
    return { status: st, iterations: asCold.iterations };
  });
  const admm = new QpSolver(p, { epsAbs: 1e-6, epsRel: 1e-6, polish: true, warmStart: false });
  const admmT = time(() => {
    const r = admm.solve();
    return { status: r.status, iterations: r.iterations };
  });
  rows.push({ N, n: p.n, m: p.m, ipm: ipmT, crossoverSets, crossoverStatus, activeSetCold: coldT, admm: admmT });
}
const loadAfter = loadAverage();

const fmt = (t: Timing): string => `${t.ms.toFixed(2).padStart(8)} ms ${String(t.iterations).padStart(5)} ${t.status}`;
log("");
log("   N     n     m | IPM+crossover (ms, IPM it, status, sets) | ActiveSetQp cold (ms, sets, status) | ADMM 1e-6+polish (ms, it, status)");
for (const r of rows) {
  log(
    `${String(r.N).padStart(4)} ${String(r.n).padStart(5)} ${String(r.m).padStart(5)} | ${fmt(r.ipm)} +${r.crossoverSets} ${r.crossoverStatus} | ${fmt(r.activeSetCold)} | ${fmt(r.admm)}`,
  );
}
log(loadLine("after"));
emitJson({ bench: "ipm", gamma, soft, reps, loadAverage: { before: loadBefore, after: loadAfter }, rows });
