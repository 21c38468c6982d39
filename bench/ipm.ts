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
import { cscFromTriplets } from "../runtime/sparse/ops.js";
import { emitJson, loadAverage, loadLine, log, median, numArg } from "./common.js";

const reps = numArg("--reps", 9);
const gamma = numArg("--gamma", 1);
const soft = process.argv.includes("--soft");
const horizons = [10, 20, 40, 80, 160, 320];
const x0: readonly [number, number] = [0.5, 0.5];

/** The MPC QP (the same construction as runtime/qp/test/ipm.test.ts `mpcQp`). */
function mpcQp(N: number): QpProblem {
  const nx = 2;
  const n = nx * (N + 1) + N + (soft ? N : 0);
  const xi = (k: number, i: number): number => nx * k + i;
  const ui = (k: number): number => nx * (N + 1) + k;
  const si = (k: number): number => nx * (N + 1) + N + (k - 1);
  const Pi: number[] = [], Pj: number[] = [], Pv: number[] = [];
  const q = new Float64Array(n);
  const xref = [1.2, 0];
  for (let k = 0; k <= N; k++) {
    const w = gamma ** k;
    for (let i = 0; i < nx; i++) {
      Pi.push(xi(k, i));
      Pj.push(xi(k, i));
      Pv.push(w);
      q[xi(k, i)] = -w * xref[i];
    }
    if (k < N) {
      Pi.push(ui(k));
      Pj.push(ui(k));
      Pv.push(0.5 * w);
    }
    if (soft && k >= 1) q[si(k)] = 100 * w;
  }
  const Ai: number[] = [], Aj: number[] = [], Av: number[] = [], l: number[] = [], u: number[] = [];
  let r = 0;
  const entry = (row: number, col: number, v: number): void => {
    Ai.push(row);
    Aj.push(col);
    Av.push(v);
  };
  const Ad = [[0.9, 0.35], [0, 1.1]];
  const Bd = [0.0813, 0.2];
  for (let i = 0; i < nx; i++, r++) {
    entry(r, xi(0, i), -1);
    l.push(-x0[i]);
    u.push(-x0[i]);
  }
  for (let k = 0; k < N; k++) {
    for (let i = 0; i < nx; i++, r++) {
      for (let j = 0; j < nx; j++) if (Ad[i][j] !== 0) entry(r, xi(k, j), Ad[i][j]);
      entry(r, ui(k), Bd[i]);
      entry(r, xi(k + 1, i), -1);
      l.push(0);
      u.push(0);
    }
  }
  for (let k = 0; k < N; k++, r++) {
    entry(r, ui(k), 1);
    l.push(-1);
    u.push(1);
  }
  const lb = [0, -1], ub = [1, 1];
  for (let k = 1; k <= N; k++) {
    for (let i = 0; i < nx; i++) {
      entry(r, xi(k, i), 1);
      if (soft) {
        entry(r, si(k), 1);
        l.push(lb[i]);
        u.push(Infinity);
        r++;
        entry(r, xi(k, i), 1);
        entry(r, si(k), -1);
        l.push(-Infinity);
        u.push(ub[i]);
      } else {
        l.push(lb[i]);
        u.push(ub[i]);
      }
      r++;
    }
    if (soft) {
      entry(r, si(k), 1);
      l.push(0);
      u.push(Infinity);
      r++;
    }
  }
  return { n, m: r, P: cscFromTriplets(n, n, Pi, Pj, Pv), q, A: cscFromTriplets(r, n, Ai, Aj, Av), l: Float64Array.from(l), u: Float64Array.from(u) };
}

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
  const p = mpcQp(N);
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
