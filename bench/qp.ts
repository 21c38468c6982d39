// `npm run bench:qp`: the QP solver, beside native OSQP measured in the same run when possible.
// 1. MPC closed loops: 100 steps, l/u at x0_rows set to each recorded state, one warm-started
//    solver, default (1e-3) and tight (1e-6 + polish) settings, each with OSQP's termination check
//    every 25 iterations and every 5 ("check 5": warm-started MPC solves are often converged after
//    a few iterations; same tolerances); repeated (in 3 rounds alternating with native's),
//    medians reported, with the count of the 100 closed-loop steps whose status is not `solved`.
// 2. The 69 Maros-Meszaros problems, tight settings, maxIter 100000, time per problem (setup +
//    solve; a problem solved in under 100 ms: the median of 5 solves after 10 untimed ones, since
//    the first solves pay V8's compilation; native's the median of 6 on OSQP's C timers,
//    bench/native_maros.py; the first solve of each is kept as firstMs).
// Native OSQP: `../shared/tools/native_osqp.py` needs Python with the `osqp` package (numpy, scipy);
// the interpreter is chosen by bench/native.ts ($MPCRL_OSQP_PYTHON, .venv-osqp, python3). When it
// imports `osqp`, native OSQP is run in the same run, interleaved (4 passes alternating with 3
// rounds of our loops, with the same termination-check period), and the ratios are ours / native
// measured here; the Maros problems go through bench/native_maros.py. Otherwise the
// figures of ../shared/ANCHORS.md are printed as "reference from ANCHORS.md, not measured here"
// and no ratio is formed between different termination-check periods.
// "cpu" is the mean process CPU time per solve (user + system; less sensitive to other processes
// than wall time). The load average is printed: the machine is shared.
// Usage: tsx bench/qp.ts [--reps N] [--only-mpc] [--only-maros] [--filter NAME]
//                        [--maros-time-limit S] [--no-native] [--verbose] [--json]

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { pinInitialState, qpFromJson, type QpFile } from "../runtime/qp/io.js";
import { QpSolver } from "../runtime/qp/osqp.js";
import type { QpSettings } from "../runtime/qp/types.js";
import { emitJson, loadAverage, loadLine, log, median, numArg, quantile, strArg } from "./common.js";
import { detectNative, runNative } from "./native.js";

const dataDir = fileURLToPath(new URL("../../shared/data/qp/", import.meta.url));
const nativeScript = fileURLToPath(new URL("../../shared/tools/native_osqp.py", import.meta.url));
// Maros with our own script: the shared one times SciPy's matrix construction and Python's call
// overhead inside its setup + solve, which dominates the small problems (HS21: 0.34 ms against
// 0.024 ms of OSQP's own C timers)
const nativeMarosScript = fileURLToPath(new URL("./native_maros.py", import.meta.url));
const args = process.argv.slice(2);
const reps = numArg("--reps", 7);
const onlyMpc = args.includes("--only-mpc");
const onlyMaros = args.includes("--only-maros");
const verbose = args.includes("--verbose");
const filter = strArg("--filter");
const marosTimeLimit = numArg("--maros-time-limit", 0);
const problems = ["a_2state", "b_random12x4", "c_quadrotor"].filter((p) => !filter || p.includes(filter));

const tight: Partial<QpSettings> = { epsAbs: 1e-6, epsRel: 1e-6, polish: true };
type Kind = "default" | "tight";

/** ../shared/ANCHORS.md: section 1 (native OSQP 1.0.0, idle machine, November 2026, check every
 *  25 iterations) and section 7 (osqp 1.1.3, load about 4, December 2026, check every 5: ranges). */
const reference = {
  check25: {
    a_2state: { default: "15.5", tight: "26.6" },
    b_random12x4: { default: "298", tight: "1186" },
    c_quadrotor: { default: "109", tight: "178" },
  } as Record<string, Record<Kind, string>>,
  check5: {
    a_2state: { default: "7-10", tight: "20-43" },
    b_random12x4: { default: "175-186", tight: "1216" },
    c_quadrotor: { default: "34-36", tight: "205-208" },
  } as Record<string, Record<Kind, string>>,
  source: { check25: "ANCHORS.md section 1 (native OSQP 1.0.0, idle machine)", check5: "ANCHORS.md section 7 (osqp 1.1.3, load about 4)" },
  maros: { solved: "48/69", wrongVerdicts: 5, medianMs: "about 1" },
};

// ---------------------------------------------------------------- native OSQP (Python), if any
interface NativeMpcLine {
  problem: string;
  settings: Kind;
  check_termination: number;
  core_us: number;
  wall_us: number;
  median_iter: number;
  unsolved_per_rep: number;
  osqp: string;
}
interface NativeMarosLine {
  problem: string;
  status: string;
  rel_err: number | null;
  solved_1e4: boolean;
  iter: number;
  /** OSQP's C timers (setup + solve + polish): the median of 6 runs under 100 ms, else the one run. */
  ms: number;
  first_ms: number;
}

// ---------------------------------------------------------------- our solver
function load(path: string): QpFile {
  return qpFromJson(JSON.parse(readFileSync(path, "utf8")));
}

interface OurMpc {
  problem: string;
  settings: Kind;
  checkTermination: number;
  medianUs: number;
  p90Us: number;
  iterations: number;
  cpuUs: number;
  steps: number;
  notSolved: number;
  /** Per repetition: the median, the 90th percentile and the mean CPU time per solve (merged over rounds). */
  repMedians: number[];
  repP90s: number[];
  repCpus: number[];
}

function closedLoop(name: string, reps: number): OurMpc[] {
  const prob = load(`${dataDir}mpc/${name}.json`);
  const statesFile = `${dataDir}mpc/${name}_closedloop_states_osqp_tight.txt`;
  let states: number[][];
  if (existsSync(statesFile)) {
    states = readFileSync(statesFile, "utf8").trim().split("\n").map((line) => line.trim().split(/\s+/).map(Number));
  } else {
    log(`  (${name}: no closed-loop file, using x0 from the JSON for all 100 steps)`);
    states = Array.from({ length: 100 }, () => Array.from(prob.x0 ?? []));
  }
  const l = prob.l.slice(), u = prob.u.slice();
  const out: OurMpc[] = [];
  for (const kind of ["default", "tight"] as Kind[]) {
    for (const checkTermination of [25, 5]) {
      const settings: Partial<QpSettings> = { ...(kind === "tight" ? tight : {}), checkTermination };
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
      out.push({
        problem: name,
        settings: kind,
        checkTermination,
        medianUs: median(medians),
        p90Us: median(p90s),
        iterations: median(iters),
        cpuUs: median(cpuMeans),
        steps: states.length,
        notSolved,
        repMedians: medians,
        repP90s: p90s,
        repCpus: cpuMeans,
      });
    }
  }
  return out;
}

interface OurMaros {
  problem: string;
  status: string;
  iterations: number;
  relErr: number;
  solved: boolean;
  /** Setup + solve: the median of MAROS_REPS warm solves, or the single one of a slow problem. */
  ms: number;
  /** The first setup + solve of the problem in this process. */
  firstMs: number;
}

const MAROS_REPEAT_MS = 100;
const MAROS_WARM = 10;
const MAROS_REPS = 5;

/** One setup + solve of a Maros problem with a fresh solver (tight settings). */
function marosRun(prob: QpFile) {
  const solver = new QpSolver(prob, { ...tight, maxIter: 100000, timeLimit: marosTimeLimit });
  const r = solver.solve();
  return { r, ms: (r.solveTime + r.setupTime) * 1e3 };
}

function maros(): OurMaros[] {
  const dir = `${dataDir}maros/`;
  const files = readdirSync(dir).filter((f) => f.endsWith(".json") && (!filter || f.includes(filter))).sort();
  const out: OurMaros[] = [];
  const fast: { index: number; prob: QpFile }[] = [];
  for (const f of files) {
    const raw = JSON.parse(readFileSync(dir + f, "utf8")) as Record<string, unknown>;
    if (typeof raw.objective_reference !== "number") continue; // index.json
    const prob = qpFromJson(raw);
    const { r, ms } = marosRun(prob);
    const ref = raw.objective_reference;
    const err = Math.abs(r.objective + prob.r - ref) / Math.max(1, Math.abs(ref));
    if (ms < MAROS_REPEAT_MS) fast.push({ index: out.length, prob });
    out.push({ problem: f.replace(".json", ""), status: r.status, iterations: r.iterations, relErr: err, solved: r.status === "solved" && err <= 1e-4, ms, firstMs: ms });
    if (verbose) log(`  ${f} ${r.status} iters ${r.iterations} obj ${r.objective + prob.r} ref ${ref} err ${err.toExponential(2)} polish ${r.polishStatus} ${ms.toFixed(1)} ms`);
  }
  // The first solve of each problem in this process pays V8's compilation of the paths it uses
  // (DUAL1 alone: 23 + 8 ms the first time, 1.5 + 0.6 ms from the 13th), which native C never
  // does: the problems solved in under MAROS_REPEAT_MS are solved MAROS_WARM more times untimed
  // (all of them, in turns), then MAROS_REPS times timed, and the median is their time. The slower
  // ones keep their single solve (compilation is a small part of them). firstMs keeps the first.
  for (let w = 0; w < MAROS_WARM; w++) for (const { prob } of fast) marosRun(prob);
  const times = fast.map(() => [] as number[]);
  for (let k = 0; k < MAROS_REPS; k++) {
    fast.forEach(({ index, prob }, i) => {
      const { r, ms } = marosRun(prob);
      // the solver is deterministic (rho adapts by iteration count): a repeat must end the same way
      if (r.status !== out[index].status) log(`  warning: ${out[index].problem} ended ${r.status} on a repeat, ${out[index].status} the first time`);
      times[i].push(ms);
    });
  }
  fast.forEach(({ index }, i) => {
    out[index] = { ...out[index], ms: median(times[i]) };
  });
  return out;
}

// ---------------------------------------------------------------- run
const loadStart = loadAverage();
log(loadLine("at start"));
const native = detectNative(nativeScript);
if (native.available) log(`native OSQP: measured in this run (osqp ${native.version}, ${native.python}; ../shared/tools/native_osqp.py on the MPC loops, bench/native_maros.py on Maros), interleaved with ours`);
else log(`native OSQP: NOT measured here (${native.reason}); native figures below are references from ANCHORS.md, not measured here. Set MPCRL_OSQP_PYTHON to a Python with osqp, numpy, scipy to measure them.`);

const fmtUs = (v: number): string => v.toFixed(1).padStart(7);
const result: Record<string, unknown> = { bench: "qp", date: new Date().toISOString(), reps, native };

if (!onlyMaros && problems.length > 0) {
  // ours and native in alternating rounds (native, ours, native, ours, native, ours, native), each
  // at both termination-check periods, so that a burst of load on this shared machine falls on
  // both sides of a ratio rather than on one
  const rounds = Math.max(1, Math.min(3, reps));
  // `reps` repetitions in all, split as evenly as possible (15: 5 + 5 + 5; 7: 3 + 2 + 2)
  const repsOf = (k: number): number => Math.max(1, Math.floor(reps / rounds) + (k < reps % rounds ? 1 : 0));
  const nativeRuns: NativeMpcLine[][] = [];
  const nativePass = (k: number): void => {
    if (!native.available) return;
    for (const ct of [25, 5]) nativeRuns.push(runNative<NativeMpcLine>(native, nativeScript, ["mpc", "--reps", String(repsOf(k)), "--check-termination", String(ct)]));
  };
  const byRound: OurMpc[][] = [];
  nativePass(0);
  for (let k = 0; k < rounds; k++) {
    byRound.push(problems.flatMap((p) => closedLoop(p, repsOf(k))));
    nativePass(k);
  }
  // the rounds merged: medians over every repetition of every round
  const ours: OurMpc[] = byRound[0].map((first, i) => {
    const all = byRound.map((r) => r[i]);
    const repMedians = all.flatMap((o) => o.repMedians);
    const repP90s = all.flatMap((o) => o.repP90s);
    const repCpus = all.flatMap((o) => o.repCpus);
    return { ...first, medianUs: median(repMedians), p90Us: median(repP90s), cpuUs: median(repCpus), repMedians, repP90s, repCpus };
  });
  const nativeOf = (o: OurMpc): NativeMpcLine[] =>
    nativeRuns.flat().filter((n) => n.problem === o.problem && n.settings === o.settings && n.check_termination === o.checkTermination);

  log(`MPC closed loops (100 steps, warm start, ${reps} repetitions; median us per solve; "check 5" = termination checked every 5 iterations):`);
  const rows = ours.map((o) => {
    const ns = nativeOf(o);
    const head =
      `  ${o.problem.padEnd(13)} ${`${o.settings}, check ${o.checkTermination}`.padEnd(17)} median ${fmtUs(o.medianUs)} us  p90 ${fmtUs(o.p90Us)} us  ` +
      `iters ${String(o.iterations).padStart(4)}  cpu ${fmtUs(o.cpuUs)} us  not solved ${o.notSolved}/${o.steps}`;
    if (ns.length > 0) {
      const core = ns.map((n) => n.core_us);
      const nat = median(core);
      const unsolved = median(ns.map((n) => n.unsolved_per_rep));
      log(`${head} | native (measured, C core time) ${core.map((c) => c.toFixed(1)).join(" / ")} us, iters ${ns[0].median_iter}, not solved ${unsolved}/${o.steps}  ratio ours/native ${(o.medianUs / nat).toFixed(2)}x`);
      return { ...o, native: { measured: true, coreUs: core, wallUs: ns.map((n) => n.wall_us), iterations: ns[0].median_iter, notSolved: unsolved, ratio: o.medianUs / nat } };
    }
    const table = o.checkTermination === 25 ? reference.check25 : reference.check5;
    const ref = table[o.problem]?.[o.settings] ?? "-";
    const src = o.checkTermination === 25 ? "ANCHORS.md s1" : "ANCHORS.md s7, load ~4";
    log(`${head} | native ${ref} us: reference from ${src}, not measured here`);
    return { ...o, native: { measured: false, referenceUs: ref, source: o.checkTermination === 25 ? reference.source.check25 : reference.source.check5 } };
  });
  if (!native.available) log("  (no ratios: native OSQP was not measured in this run; the references are from other runs and machines; per ANCHORS.md section 7, native solves all 100 steps.)");
  result.mpc = rows;
}

if (!onlyMpc) {
  log(`Maros-Meszaros (tight settings + polish, maxIter 100000${marosTimeLimit ? `, time limit ${marosTimeLimit} s` : ""}), setup + solve time per problem:`);
  const ours = maros();
  const nat = native.available ? runNative<NativeMarosLine>(native, nativeMarosScript, ["--max-iter", "100000", ...(filter ? ["--filter", filter] : [])]) : [];
  const natBy = new Map(nat.map((n) => [n.problem, n]));
  const problemsOut = ours.map((o) => {
    const n = natBy.get(o.problem);
    const nMs = n?.ms;
    log(
      `  ${o.problem.padEnd(10)} ${o.status.padEnd(18)} iters ${String(o.iterations).padStart(6)}  ${o.ms.toFixed(2).padStart(9)} ms  relerr ${o.relErr.toExponential(1)}${o.solved ? "" : "  NOT SOLVED"}` +
        (n ? ` | native ${n.status} ${nMs!.toFixed(2)} ms${n.solved_1e4 ? "" : " NOT SOLVED"}  ratio ${(o.ms / nMs!).toFixed(1)}x` : ""),
    );
    return { ...o, ...(n ? { native: { status: n.status, solved: n.solved_1e4, ms: nMs, iterations: n.iter } } : {}) };
  });
  const solved = ours.filter((o) => o.solved);
  const solved6 = ours.filter((o) => o.status === "solved" && o.relErr <= 1e-6).length;
  const wrong = ours.filter((o) => o.status === "primal_infeasible" || o.status === "dual_infeasible").length;
  const medMs = median(solved.map((o) => o.ms));
  const medFirst = median(solved.map((o) => o.firstMs));
  const summary: Record<string, unknown> = { count: ours.length, solved: solved.length, solved1e6: solved6, wrongVerdicts: wrong, medianMsSolved: medMs, medianFirstMsSolved: medFirst };
  log(`  ours: solved (relerr <= 1e-4) ${solved.length}/${ours.length}, (relerr <= 1e-6) ${solved6}/${ours.length}; wrong infeasibility verdicts ${wrong}; median time of a solved problem ${medMs.toFixed(2)} ms (first solves in this process: ${medFirst.toFixed(2)} ms)`);
  if (nat.length > 0) {
    const nSolved = nat.filter((n) => n.solved_1e4);
    const nWrong = nat.filter((n) => n.status.includes("infeasible")).length;
    const nMed = median(nSolved.map((n) => n.ms));
    const both = problemsOut.filter((p) => p.solved && p.native?.solved);
    const ratio = median(both.map((p) => p.ms / p.native!.ms!));
    log(`  native (measured): solved ${nSolved.length}/${nat.length}; infeasibility verdicts ${nWrong}; median time of a solved problem ${nMed.toFixed(2)} ms`);
    // the like-for-like medians: over the same problems (ours also solves larger ones native does not)
    const oursBoth = median(both.map((p) => p.ms));
    const nativeBoth = median(both.map((p) => p.native!.ms!));
    log(`  median over problems both solve of ours/native time: ${ratio.toFixed(1)}x (${both.length} problems); median time over them: ours ${oursBoth.toFixed(2)} ms, native ${nativeBoth.toFixed(2)} ms`);
    Object.assign(summary, { native: { measured: true, solved: nSolved.length, wrongVerdicts: nWrong, medianMsSolved: nMed, medianRatioBothSolved: ratio, bothSolved: both.length, oursMedianMsBoth: oursBoth, nativeMedianMsBoth: nativeBoth } });
  } else {
    log(`  native: reference from ANCHORS.md s2, not measured here: solved ${reference.maros.solved} (100000 iterations), ${reference.maros.wrongVerdicts} wrong infeasibility verdicts, median time of a solved problem ${reference.maros.medianMs} ms`);
    Object.assign(summary, { native: { measured: false, reference: reference.maros, source: "ANCHORS.md section 2" } });
  }
  result.maros = { ...summary, problems: problemsOut };
}

log(loadLine("at end"));
result.load = { start: loadStart, end: loadAverage() };
emitJson(result);
