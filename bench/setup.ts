// The QP solver's setup path on the Maros-Meszaros set (issue 10): per problem, the median over
// repetitions (after warm-up runs, so the JIT has compiled the code) of each phase of
// `new QpSolver(...)` run on its own (copies, Ruiz scaling, KKT pattern, AMD ordering, symbolic
// analysis, numeric factorization, the convexity check of P) and of the whole constructor and
// solve; then the median over the problems solved to 1e-4 of setup + solve, and the total fill
// (nnz of L) of the ADMM KKT matrices of the Maros set and of the shared MPC problems.
// Usage: tsx bench/setup.ts [--reps N] [--filter NAME] [--verbose] [--perms FILE] [--json]
// --perms FILE writes every ordering (one line per KKT matrix) to compare orderings between versions.

import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { amdOrder } from "../runtime/linalg/amd.js";
import { SparseLdl } from "../runtime/linalg/ldl.js";
import { qpFromJson, type QpFile } from "../runtime/qp/io.js";
import { ActiveKkt, buildKktPattern } from "../runtime/qp/kkt.js";
import { QpSolver } from "../runtime/qp/osqp.js";
import { computeScaling, newScaling } from "../runtime/qp/scaling.js";
import type { QpSettings } from "../runtime/qp/types.js";
import { trimCsc } from "../runtime/qp/kernels.js";
import { cloneCsc } from "../runtime/sparse/ops.js";
import { emitJson, loadAverage, loadLine, log, median, numArg, strArg } from "./common.js";

const dataDir = fileURLToPath(new URL("../../shared/data/qp/", import.meta.url));
const reps = numArg("--reps", 15);
const filter = strArg("--filter");
const permsFile = strArg("--perms");
const verbose = process.argv.includes("--verbose");
const tight: Partial<QpSettings> = { epsAbs: 1e-6, epsRel: 1e-6, polish: true, maxIter: 100000 };

const PHASES = ["copy", "scaling", "kktPattern", "amd", "symbolic", "factor", "pCheck", "constructor", "solve"] as const;
type Phase = (typeof PHASES)[number];

/** Median time in ms of `f` over `reps` runs after 2 warm-up runs. */
function time(f: () => void, r = reps): number {
  for (let k = 0; k < 2; k++) f();
  const t: number[] = [];
  for (let k = 0; k < r; k++) {
    const t0 = process.hrtime.bigint();
    f();
    t.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(t);
}

interface Row {
  problem: string;
  n: number;
  m: number;
  nnzK: number;
  nnzL: number;
  solved: boolean;
  iterations: number;
  ms: Record<Phase, number>;
}

const perms: string[] = [];

function phases(name: string, prob: QpFile, solvedRef: number | undefined): Row {
  const { n, m } = prob;
  const P = trimCsc(prob.P), A = trimCsc(prob.A);
  const q = Float64Array.from(prob.q);
  const ms = {} as Record<Phase, number>;
  ms.copy = time(() => {
    cloneCsc(P);
    cloneCsc(A);
  });
  const s = newScaling(n, m);
  const pv = new Float64Array(P.values.length), av = new Float64Array(A.values.length), qs = new Float64Array(n);
  ms.scaling = time(() => computeScaling(P, A, q, 10, s, pv, av, qs));
  ms.kktPattern = time(() => buildKktPattern(P, A));
  const kkt = buildKktPattern(P, A);
  ms.amd = time(() => amdOrder(kkt.pattern));
  const perm = amdOrder(kkt.pattern);
  perms.push(`${name} ${Array.from(perm).join(" ")}`);
  const pPattern = { rows: 0, cols: n, colPtr: new Int32Array(n + 1), rowIdx: new Int32Array(0) };
  perms.push(`${name}:P ${Array.from(amdOrder(buildKktPattern(P, pPattern).pattern)).join(" ")}`);
  // (a copy of the ordering each time: SparseLdl caches its analysis per ordering object)
  ms.symbolic = time(() => new SparseLdl(kkt.pattern, perm.slice(), { wasm: true, arenaF64: 3 * n + 7 * m, arenaI32: n + m }));
  const ldl = new SparseLdl(kkt.pattern, perm, { wasm: true, arenaF64: 3 * n + 7 * m, arenaI32: n + m });
  const vals = new Float64Array(kkt.nnz);
  for (let j = 0; j < n; j++) vals[kkt.pDiag[j]] = 1;
  for (let i = 0; i < m; i++) vals[kkt.dualDiag[i]] = -1;
  ms.factor = time(() => ldl.factor(vals));
  ms.pCheck = time(() => {
    const c = new ActiveKkt(P, { rows: 0, cols: n, colPtr: new Int32Array(n + 1), rowIdx: new Int32Array(0) });
    c.factor(P.values, new Float64Array(0), new Float64Array(0), 1);
  });
  ms.constructor = time(() => new QpSolver(prob, tight));
  let result = new QpSolver(prob, tight).solve();
  // the solve is long for some problems: fewer repetitions when one takes over 100 ms
  const solveReps = result.solveTime > 0.1 ? 1 : reps;
  ms.solve = time(() => {
    result = new QpSolver(prob, tight).solve();
  }, solveReps) - ms.constructor;
  const err = solvedRef === undefined ? 0 : Math.abs(result.objective + prob.r - solvedRef) / Math.max(1, Math.abs(solvedRef));
  return { problem: name, n, m, nnzK: kkt.nnz, nnzL: ldl.nnzL, solved: result.status === "solved" && err <= 1e-4, iterations: result.iterations, ms };
}

log(loadLine("at start"));
const rows: Row[] = [];
const marosDir = `${dataDir}maros/`;
for (const f of readdirSync(marosDir).filter((f) => f.endsWith(".json") && (!filter || f.includes(filter))).sort()) {
  const raw = JSON.parse(readFileSync(marosDir + f, "utf8")) as Record<string, unknown>;
  if (typeof raw.objective_reference !== "number") continue;
  const row = phases(f.replace(".json", ""), qpFromJson(raw), raw.objective_reference);
  rows.push(row);
  if (verbose) log(`  ${row.problem.padEnd(10)} n ${row.n} m ${row.m} nnzL ${row.nnzL} ${row.solved ? "solved" : "NOT SOLVED"} ${PHASES.map((p) => `${p} ${row.ms[p].toFixed(3)}`).join(" ")}`);
}
const mpc: Row[] = [];
for (const name of ["a_2state", "b_random12x4", "c_quadrotor"]) {
  if (filter && !name.includes(filter)) continue;
  mpc.push(phases(name, qpFromJson(JSON.parse(readFileSync(`${dataDir}mpc/${name}.json`, "utf8"))), undefined));
}
const solved = rows.filter((r) => r.solved);
const med = (rs: Row[], f: (r: Row) => number): number => median(rs.map(f));
log(`Maros-Meszaros: ${solved.length}/${rows.length} solved (1e-4); medians over the solved problems of per-problem medians (${reps} repetitions), ms:`);
for (const p of PHASES) log(`  ${p.padEnd(12)} ${med(solved, (r) => r.ms[p]).toFixed(4).padStart(9)}   (all problems: ${med(rows, (r) => r.ms[p]).toFixed(4)})`);
const total = med(solved, (r) => r.ms.constructor + r.ms.solve);
log(`  setup + solve median over solved problems: ${total.toFixed(3)} ms; setup ${med(solved, (r) => r.ms.constructor).toFixed(3)} ms`);
const fillMaros = rows.reduce((a, r) => a + r.nnzL, 0), fillMpc = mpc.reduce((a, r) => a + r.nnzL, 0);
log(`  fill nnz(L) of the ADMM KKT: Maros total ${fillMaros}, MPC total ${fillMpc} (${mpc.map((r) => `${r.problem} ${r.nnzL}`).join(", ")})`);
log(`  MPC setup (constructor) ms: ${mpc.map((r) => `${r.problem} ${r.ms.constructor.toFixed(3)}`).join(", ")}`);
log(loadLine("at end"));
if (permsFile) writeFileSync(permsFile, perms.join("\n") + "\n");
emitJson({ bench: "setup", date: new Date().toISOString(), reps, load: loadAverage(), medianSetupSolveMs: total, fillMaros, fillMpc, rows, mpc });
