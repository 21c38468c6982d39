// `npm run bench:qp`: the QP solver against native OSQP 1.0's figures (../shared/ANCHORS.md 1-2).
// 1. MPC closed loops: 100 steps, l/u at x0_rows set to each recorded state, one warm-started
//    solver, default (1e-3) and tight (1e-6 + polish) settings; repeated, medians reported.
// 2. The 69 Maros-Meszaros problems, tight settings, maxIter 100000.
// A third row per problem ("fast check") checks termination every 5 iterations instead of OSQP's
// 25: warm-started MPC solves are often converged after a few iterations (same tolerances).
// Wall-clock medians are printed with the load average, because the machine is shared: native
// OSQP's figures were measured on an idle machine. "cpu" is the mean process CPU time per solve
// (user + system, includes the occasional GC; less sensitive to other processes than wall time).
// Usage: tsx bench/qp.ts [--reps N] [--only-mpc] [--only-maros] [--filter NAME] [--maros-time-limit S] [--verbose]

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { pinInitialState, qpFromJson, type QpFile } from "../runtime/qp/io.js";
import { QpSolver } from "../runtime/qp/osqp.js";
import type { QpSettings } from "../runtime/qp/types.js";

const dataDir = fileURLToPath(new URL("../../shared/data/qp/", import.meta.url));
const args = process.argv.slice(2);
const reps = Number(args[args.indexOf("--reps") + 1]) || 7;
const onlyMpc = args.includes("--only-mpc");
const onlyMaros = args.includes("--only-maros");
const verbose = args.includes("--verbose");
const filterIdx = args.indexOf("--filter");
const filter = filterIdx >= 0 ? args[filterIdx + 1] : undefined;
const tlIdx = args.indexOf("--maros-time-limit");
const marosTimeLimit = tlIdx >= 0 ? Number(args[tlIdx + 1]) : 0;

const tight: Partial<QpSettings> = { epsAbs: 1e-6, epsRel: 1e-6, polish: true };
const native: Record<string, { def: number; tight: number; defIter?: number }> = {
  a_2state: { def: 15.5, tight: 26.6, defIter: 25 },
  b_random12x4: { def: 298, tight: 1186 },
  c_quadrotor: { def: 109, tight: 178 },
};

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const k = s.length >> 1;
  return s.length % 2 ? s[k] : 0.5 * (s[k - 1] + s[k]);
}
function quantile(v: number[], q: number): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}
function load(path: string): QpFile {
  return qpFromJson(JSON.parse(readFileSync(path, "utf8")));
}

function closedLoop(name: string): void {
  const prob = load(`${dataDir}mpc/${name}.json`);
  const statesFile = `${dataDir}mpc/${name}_closedloop_states_osqp_tight.txt`;
  let states: number[][];
  if (existsSync(statesFile)) {
    states = readFileSync(statesFile, "utf8").trim().split("\n").map((line) => line.trim().split(/\s+/).map(Number));
  } else {
    console.log(`  (${name}: no closed-loop file, using x0 from the JSON for all 100 steps)`);
    states = Array.from({ length: 100 }, () => Array.from(prob.x0 ?? []));
  }
  const l = prob.l.slice(), u = prob.u.slice();
  const variants: [string, Partial<QpSettings>, "def" | "tight"][] = [
    ["default", {}, "def"],
    ["default, fast check", { checkTermination: 5 }, "def"],
    ["tight", tight, "tight"],
    ["tight, fast check", { ...tight, checkTermination: 5 }, "tight"],
  ];
  for (const [label, settings, kind] of variants) {
    const medians: number[] = [], p90s: number[] = [], iters: number[] = [], cpuMeans: number[] = [];
    let notSolved = 0;
    // one extra warm-up loop for the JIT, then `reps` measured loops
    for (let rep = -1; rep < reps; rep++) {
      const solver = new QpSolver(prob, settings);
      const times: number[] = [], its: number[] = [];
      let cpu = 0;
      for (const x0 of states) {
        pinInitialState(prob, x0, l, u);
        solver.updateBounds(l, u);
        const c0 = process.cpuUsage();
        const t0 = process.hrtime.bigint();
        const r = solver.solve();
        const dt = Number(process.hrtime.bigint() - t0) / 1e3;
        const c1 = process.cpuUsage(c0);
        cpu += c1.user + c1.system;
        times.push(dt);
        its.push(r.iterations);
        if (rep === 0 && r.status !== "solved") notSolved++;
      }
      if (rep < 0) continue;
      medians.push(median(times));
      p90s.push(quantile(times, 0.9));
      iters.push(median(its));
      cpuMeans.push(cpu / states.length);
    }
    const ours = median(medians);
    const ref = kind === "def" ? native[name].def : native[name].tight;
    console.log(
      `  ${name.padEnd(13)} ${label.padEnd(20)} median ${ours.toFixed(1).padStart(7)} us  p90 ${median(p90s).toFixed(1).padStart(7)} us  ` +
        `iters ${median(iters).toString().padStart(4)}  cpu ${median(cpuMeans).toFixed(1).padStart(7)} us  | native ${ref.toString().padStart(5)} us  ratio ${(ours / ref).toFixed(2)}x` +
        (notSolved ? `  (${notSolved} steps not 'solved')` : ""),
    );
  }
}

function maros(): void {
  const dir = `${dataDir}maros/`;
  const files = readdirSync(dir).filter((f) => f.endsWith(".json") && (!filter || f.includes(filter))).sort();
  let solved4 = 0, solved6 = 0, wrongInf = 0, count = 0;
  const times: number[] = [];
  const failures: string[] = [];
  for (const f of files) {
    const raw = JSON.parse(readFileSync(dir + f, "utf8")) as Record<string, unknown>;
    if (typeof raw.objective_reference !== "number") continue; // index.json
    const prob = qpFromJson(raw);
    count++;
    const solver = new QpSolver(prob, { ...tight, maxIter: 100000, timeLimit: marosTimeLimit });
    const r = solver.solve();
    const ref = raw.objective_reference;
    const err = Math.abs(r.objective + prob.r - ref) / Math.max(1, Math.abs(ref));
    const ok = r.status === "solved";
    if (ok && err <= 1e-4) {
      solved4++;
      times.push((r.solveTime + r.setupTime) * 1e3);
    }
    if (ok && err <= 1e-6) solved6++;
    if (r.status === "primal_infeasible" || r.status === "dual_infeasible") wrongInf++;
    if (!(ok && err <= 1e-4)) failures.push(`${f.replace(".json", "")}: ${r.status} iters ${r.iterations} relerr ${err.toExponential(1)}`);
    if (filter || verbose) console.log(`  ${f} ${r.status} iters ${r.iterations} obj ${r.objective + prob.r} ref ${ref} err ${err.toExponential(2)} polish ${r.polishStatus} ${(r.solveTime * 1e3).toFixed(1)} ms`);
  }
  console.log(`  solved (relerr <= 1e-4): ${solved4}/${count}   (native OSQP, 100000 iterations: 48/69)`);
  console.log(`  solved (relerr <= 1e-6): ${solved6}/${count}`);
  console.log(`  wrong infeasibility verdicts: ${wrongInf}   (native OSQP: 5)`);
  console.log(`  median time of a solved problem (setup + solve): ${times.length ? median(times).toFixed(2) : "-"} ms   (native OSQP: about 1 ms)`);
  if (failures.length) console.log(`  not solved: ${failures.join("; ")}`);
}

console.log(`load average at start: ${loadavg().map((v) => v.toFixed(2)).join(", ")} (2 cores are shared; native figures are from an idle machine)`);
if (!onlyMaros) {
  console.log(`MPC closed loops (100 steps, warm start, ${reps} repetitions, medians):`);
  for (const name of ["a_2state", "b_random12x4", "c_quadrotor"]) if (!filter || name.includes(filter)) closedLoop(name);
}
if (!onlyMpc) {
  console.log(`Maros-Meszaros (tight settings + polish, maxIter 100000${marosTimeLimit ? `, time limit ${marosTimeLimit} s` : ""}):`);
  maros();
}
