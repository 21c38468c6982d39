// `npm run bench:sens`: time of one adjoint derivative of a QP solution (dL/dz -> dP, dq, dA, dl,
// du) on the shared MPC problems, beside native OSQP 1.0's adjoint (../shared/ANCHORS.md 1:
// 28 us / 1.49 ms / 0.43 ms). The solution comes from QpSolver (tight, polished).
//   cold:    new QpSensitivity(...) + adjoint() on a pattern never seen: KKT pattern, ordering,
//            symbolic and numeric factorization every time (what OSQP's adjoint does per call).
//   new:     new QpSensitivity(...) + adjoint() on a known pattern (same index arrays): the KKT
//            pattern and ordering come from the cache; symbolic + numeric factorization.
//   update:  sens.update(...) + adjoint(.., out): numeric factorization, singularity check and
//            the solve (the per-step cost when one object is kept).
//   adjoint: one more adjoint() on the same factorization;  forward: one forward() direction.
// Each figure is the median over `--reps` batches (default 31) of the mean time of a batch.
// Absolute times depend on the machine's load; the last table is far less sensitive to it: the
// derivative's cost relative to one tight warm closed-loop solve of our QpSolver (same run),
// beside native OSQP's adjoint over its own solve.
// Native OSQP's adjoint times are references from ANCHORS.md section 1, not measured here.
// Usage: tsx bench/sensitivity.ts [--reps N] [--json]

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { pinInitialState, qpFromJson } from "../runtime/qp/io.js";
import { QpSolver, solveQp } from "../runtime/qp/osqp.js";
import { QpSensitivity } from "../runtime/qp/sensitivity.js";
import { emitJson, loadAverage, loadLine, log, median } from "./common.js";

const dataDir = fileURLToPath(new URL("../../shared/data/qp/mpc/", import.meta.url));
const args = process.argv.slice(2);
const reps = Number(args[args.indexOf("--reps") + 1]) || 31;
const nativeUs: Record<string, number> = { a_2state: 28, b_random12x4: 1490, c_quadrotor: 430 };
/** Native OSQP, tight (1e-6 + polish) warm closed-loop solve, ANCHORS.md section 1. */
const nativeSolveUs: Record<string, number> = { a_2state: 26.6, b_random12x4: 1186, c_quadrotor: 178 };

/** Median over `reps` batches of the mean microseconds per call; batches last about 20 ms. */
function timeUs(fn: () => void): number {
  let inner = 1;
  for (;;) {
    const t0 = performance.now();
    for (let k = 0; k < inner; k++) fn();
    if (performance.now() - t0 > 20 || inner > 1 << 20) break;
    inner *= 2;
  }
  const res: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    for (let k = 0; k < inner; k++) fn();
    res.push(((performance.now() - t0) * 1000) / inner);
  }
  return median(res);
}

function fmt(us: number): string {
  return us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} us`;
}

const relative: string[] = [];
const loadStart = loadAverage();
const json: Record<string, unknown> = { bench: "sens", date: new Date().toISOString(), reps, problems: [] as unknown[] };
log(loadLine("at start"));
log(`QP solution derivatives (median of ${reps} batches); native OSQP 1.0 adjoint: reference from ANCHORS.md section 1, not measured here`);
log("problem        n    m   active  cold        new+adj     update+adj  adjoint     forward     native(ref)  ratio(update)  ratio(new)  ratio(cold)");
for (const name of ["a_2state", "b_random12x4", "c_quadrotor"]) {
  const p = qpFromJson(JSON.parse(readFileSync(`${dataDir}${name}.json`, "utf8")));
  const sol = solveQp(p, { epsAbs: 1e-8, epsRel: 1e-8, polish: true, maxIter: 100000 });
  if (sol.status !== "solved") {
    log(`${name}: solver status ${sol.status}, skipped`);
    continue;
  }
  const z = Float64Array.from(sol.x);
  const y = Float64Array.from(sol.y);
  const gz = new Float64Array(p.n);
  for (let j = 0; j < p.n; j++) gz[j] = Math.sin(j + 1);
  const sens = new QpSensitivity(p, z, y);
  if (sens.status !== "ok") log(`${name}: status ${sens.status} (${sens.message})`);
  const out = {
    dP: new Float64Array(p.P.values.length),
    dq: new Float64Array(p.n),
    dA: new Float64Array(p.A.values.length),
    dl: new Float64Array(p.m),
    du: new Float64Array(p.m),
  };
  const fout = { dz: new Float64Array(p.n), dy: new Float64Array(p.m) };
  const dq = Float64Array.from(gz);
  const fresh = () => ({
    ...p,
    P: { ...p.P, colPtr: p.P.colPtr.slice(), rowIdx: p.P.rowIdx.slice() },
    A: { ...p.A, colPtr: p.A.colPtr.slice(), rowIdx: p.A.rowIdx.slice() },
  });
  const cold = timeUs(() => new QpSensitivity(fresh(), z, y).adjoint(gz));
  const known = timeUs(() => new QpSensitivity(p, z, y).adjoint(gz));
  const update = timeUs(() => {
    sens.update(p, z, y);
    sens.adjoint(gz, undefined, out);
  });
  const adj = timeUs(() => sens.adjoint(gz, undefined, out));
  const fwd = timeUs(() => sens.forward({ dq }, fout));
  const nat = nativeUs[name];
  // our tight warm closed-loop solve, median per solve (for the load-independent ratio)
  const states = readFileSync(`${dataDir}${name}_closedloop_states_osqp_tight.txt`, "utf8")
    .trim()
    .split("\n")
    .map((line) => line.trim().split(/\s+/).map(Number));
  const solver = new QpSolver(p, { epsAbs: 1e-6, epsRel: 1e-6, polish: true });
  const l = p.l.slice();
  const u = p.u.slice();
  const perSolve: number[] = [];
  for (let rep = 0; rep < 3; rep++) {
    for (const x0 of states) {
      pinInitialState(p, x0, l, u);
      solver.updateBounds(l, u);
      const t0 = performance.now();
      solver.solve();
      perSolve.push((performance.now() - t0) * 1000);
    }
  }
  const solveUs = median(perSolve);
  (json.problems as unknown[]).push({ problem: name, coldUs: cold, newAdjointUs: known, updateAdjointUs: update, adjointUs: adj, forwardUs: fwd, tightSolveUs: solveUs, derivativeInSolves: update / solveUs, nativeAdjointRefUs: nat, nativeAdjointInSolvesRef: nat / nativeSolveUs[name] });
  relative.push(
    `${name.padEnd(13)} ${fmt(solveUs).padEnd(11)} ${(update / solveUs).toFixed(2).padStart(6)}          ${(nat / nativeSolveUs[name]).toFixed(2).padStart(6)}`,
  );
  log(
    `${name.padEnd(13)} ${String(p.n).padStart(4)} ${String(p.m).padStart(4)} ${String(sens.activeCount).padStart(6)}   ${fmt(cold).padEnd(11)} ${fmt(known).padEnd(11)} ${fmt(update).padEnd(11)} ${fmt(adj).padEnd(11)} ${fmt(fwd).padEnd(11)} ${fmt(nat).padEnd(11)} ${(update / nat).toFixed(2).padStart(5)}x${" ".repeat(9)} ${(known / nat).toFixed(2).padStart(5)}x${" ".repeat(5)} ${(cold / nat).toFixed(2).padStart(5)}x`,
  );
}
log("ratio = ours / native reference (below 1 is faster); the reference is from ../shared/ANCHORS.md section 1 (idle machine), not measured here.");
log("\nDerivative cost in solves: (update+adj) / one tight warm closed-loop solve, both measured in this run");
log("problem       our solve   ours            native adjoint/solve (both from ANCHORS.md s1)");
for (const line of relative) log(line);
log(loadLine("at end"));
json.load = { start: loadStart, end: loadAverage() };
emitJson(json);
