// `npm run bench:scale`: how the per-step cost grows with the horizon and the state size (issue 14).
// 1. The Gros & Zanon controller (examples/gros_zanon/linear_mpc.mpcrl) with only `horizon 10`
//    changed to N = 10 .. 320: median time of the `act` call per closed-loop step (the nominal
//    controller on the recorded disturbance of mpcrl's run, no learning) and of a Q-learning step (the example's
//    settings), with the solver statistics per step (working sets, interior-point solves, ADMM
//    fallbacks).
//    The same without the discount (gamma = 1): how much of the growth is the discounted tail.
//    The Q-learning step at N = 160 also on four disturbance sequences, pooled (a run is chaotic: 1c).
// 2. A chain of masses (linear, N = 20, 2 to 32 masses, force on the first mass, soft position
//    bounds): median `act` time against the state size.
// Growth exponents are least-squares slopes of log(time) against log(N) (log(nx)); the issue's
// target is an exponent <= 1.2 in N and a Q-learning step under 2 ms at N = 160.
// 3. Native OSQP on the same QPs, when a Python with `osqp` is found (bench/native.ts): each act
//    closed loop of 1 is replayed state by state on one warm-started OSQP solver (tight settings:
//    1e-6 with polish, and OSQP's defaults, 1e-3; termination checked every 5 iterations;
//    bench/native_scale.py), right after ours; the ratio is our median `act` call over native's
//    median C time of the same step (bounds update + solve + polish, OSQP's own timers). Ours is
//    the exact solution (active set), native's is accurate to its tolerances; the largest
//    |u0 - ours| over native's solved steps is shown.
// Usage: tsx bench/scale.ts [--max-n 320] [--no-native] [--json]

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { compileToModule } from "../compiler/index.js";
import { QLearning } from "../runtime/learn/q_learning.js";
import { PolicyEvaluation } from "../runtime/learn/evaluate.js";
import type { EpisodicTrainer } from "../runtime/learn/types.js";
import type { MpcController } from "../runtime/mpc/controller.js";
import { RecordedDisturbance } from "../runtime/plants/disturbance.js";
import { emitJson, loadAverage, loadLine, log, median, quantile } from "./common.js";
import { detectNative, runNative } from "./native.js";

const args = process.argv.slice(2);
const maxN = Number(args[args.indexOf("--max-n") + 1]) || 320;
const anchor = JSON.parse(readFileSync(new URL("../../shared/data/anchors/gz_qlearning_mpcrl_5000.json", import.meta.url), "utf8")) as { noise_e: number[] };
const gzSource = readFileSync(new URL("../examples/gros_zanon/linear_mpc.mpcrl", import.meta.url), "utf8");

function compileOrExit(source: string, name: string) {
  const { module, diagnostics } = compileToModule(source, { fileName: name });
  if (module?.createPlant === undefined) {
    console.error(`${name}: ${diagnostics.map((d) => d.message).join("\n")}`);
    process.exit(1);
  }
  return module;
}

/** Steps measured per size: fewer on long horizons (the total stays within minutes), but at least
 *  150 up to N = 160: a step's cost there depends on where the closed loop is (40 steps after the
 *  warm-up gave an act median of 1.3 ms, 200 steps 8 ms). */
function stepsFor(N: number): number {
  return N <= 20 ? 300 : N <= 40 ? 200 : N <= 160 ? 150 : 40;
}

interface Row {
  readonly size: number;
  readonly n: number;
  readonly m: number;
  readonly steps: number;
  readonly msPerStep: number;
  /** 10th and 90th percentiles of the step time (a Q-learning step on a long horizon is bimodal). */
  readonly p10: number;
  readonly p90: number;
  readonly factorizationsPerStep: number;
  /** Interior-point solves per step (a warm walk or crossover that did not settle). */
  readonly ipmPerStep: number;
  readonly admmPerStep: number;
  readonly failures: number;
}

/** The act loop's QPs for native OSQP (bench/native_scale.py's file format): P, q, A and the
 *  bounds (constant without learning), the rows pinning the state, and per timed step the state
 *  and our first input. */
interface RecordedQps {
  name: string;
  P: unknown;
  q: number[];
  A: unknown;
  l: number[];
  u: number[];
  x0_rows: number[];
  u0_cols: number[];
  states: number[][];
  ours_u0: number[][];
}

/** A closed loop of `steps` timed steps after an untimed warm-up; with `record` (no learning), the
 *  QPs its timed `act` calls solved, recorded outside the timing. */
function runLoop(module: ReturnType<typeof compileOrExit>, learn: boolean, steps: number, size: number, record?: string, noiseOffset = 0): Row & { times: number[]; qps?: RecordedQps } {
  const mpc = module.createController({ firstInputBounds: "removed" }) as MpcController;
  const plant = module.createPlant!({ disturbance: new RecordedDisturbance(anchor.noise_e.slice(noiseOffset).map((e) => Array.from({ length: mpc.nx }, (_, i) => (i === 0 ? e : 0)))) });
  const trainer: EpisodicTrainer = learn
    ? new QLearning(mpc, plant, { seed: 69, optimizer: { kind: "newton", lr: 5e-2 }, replay: { size: 1, sample: 1 } })
    : new PolicyEvaluation(mpc, plant, { seed: 69 });
  // without learning the time of a step is that of its `act` call alone (not the plant's step and
  // the monitor's bookkeeping around it); with learning, the whole step (its solves and the update)
  let actTime = 0;
  let recording = false;
  const states: number[][] = [];
  const ours: number[][] = [];
  if (!learn) {
    const act = mpc.act.bind(mpc);
    mpc.act = (state, runtime) => {
      const t0 = performance.now();
      const r = act(state, runtime);
      actTime += performance.now() - t0;
      if (recording) {
        states.push(Array.from(state));
        ours.push(Array.from(r.u));
      }
      return r;
    };
  }
  trainer.beginEpisode(0);
  // warm-up (not timed): the first solve starts cold, and V8 compiles the hot paths
  const warm = Math.min(10, Math.floor(steps / 3));
  for (let k = 0; k < warm; k++) trainer.step();
  recording = record !== undefined;
  const before = { ...mpc.stats };
  const times: number[] = [];
  let failures = 0;
  for (let k = 0; k < steps; k++) {
    actTime = 0;
    const t0 = performance.now();
    const r = trainer.step();
    times.push(learn ? performance.now() - t0 : actTime);
    if (r.fallback) failures++;
  }
  trainer.endEpisode();
  const t = mpc.template;
  return {
    size,
    n: t.n,
    m: t.m,
    steps,
    msPerStep: median(times),
    p10: quantile(times, 0.1),
    p90: quantile(times, 0.9),
    factorizationsPerStep: (mpc.stats.factorizations - before.factorizations) / steps,
    ipmPerStep: (mpc.stats.interiorPoint - before.interiorPoint) / steps,
    admmPerStep: (mpc.stats.admm - before.admm) / steps,
    failures,
    times,
    ...(record !== undefined ? { qps: recordedQps(mpc, record, states, ours) } : {}),
  };
}

function recordedQps(mpc: MpcController, name: string, states: number[][], ours: number[][]): RecordedQps {
  const t = mpc.template;
  const L = mpc.layout;
  const d = mpc.currentData();
  const finite = (v: Float64Array) => Array.from(v, (b) => (b >= 1e20 ? 1e30 : b <= -1e20 ? -1e30 : b));
  const csc = (p: { rows: number; cols: number; colPtr: Int32Array; rowIdx: Int32Array }, values: Float64Array) => ({ shape: [p.rows, p.cols], indptr: Array.from(p.colPtr), indices: Array.from(p.rowIdx), data: Array.from(values) });
  return {
    name,
    P: csc(t.P, d.subarray(L.P, L.q)),
    q: Array.from(d.subarray(L.q, L.A)),
    A: csc(t.A, d.subarray(L.A, L.l)),
    l: finite(d.subarray(L.l, L.u)),
    u: finite(d.subarray(L.u, L.c)),
    x0_rows: Array.from(t.x0Rows),
    u0_cols: Array.from({ length: t.nu }, (_, j) => t.inputOffset + j),
    states,
    ours_u0: ours,
  };
}

interface NativeScaleLine {
  problem: string;
  settings: "tight" | "default";
  steps: number;
  core_us: number;
  wall_us: number;
  median_iter: number;
  unsolved: number;
  unsolved_statuses: Record<string, number>;
  unpolished: number;
  max_du0: number;
}

function unsolvedText(r: NativeScaleLine): string {
  return Object.entries(r.unsolved_statuses)
    .map(([k, v]) => `${v} ${k}`)
    .join(", ");
}

/** A row without its per-step times (the JSON keeps the summaries). */
function withoutTimes<T extends Row>(r: T & { times?: number[]; qps?: RecordedQps }): Row {
  const { times: _times, qps: _qps, ...rest } = r;
  return rest;
}

/** Least-squares slope of log(y) on log(x). */
function exponent(rows: readonly Pick<Row, "size" | "msPerStep">[]): number {
  const xs = rows.map((r) => Math.log(r.size));
  const ys = rows.map((r) => Math.log(r.msPerStep));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  return sxy / sxx;
}

function chainSpec(masses: number): string {
  const nx = 2 * masses;
  const dt = 0.1;
  const A: number[][] = Array.from({ length: nx }, () => new Array<number>(nx).fill(0));
  for (let i = 0; i < masses; i++) {
    A[i][i] = 1;
    A[i][masses + i] = dt;
    A[masses + i][masses + i] = 1;
    // springs to the neighbours (unit stiffness, walls at both ends)
    A[masses + i][i] -= 2 * dt;
    if (i > 0) A[masses + i][i - 1] += dt;
    if (i + 1 < masses) A[masses + i][i + 1] += dt;
  }
  const B = Array.from({ length: nx }, (_, i) => [i === masses ? dt : 0]);
  const mat = (M: number[][]) => `[${M.map((r) => `[${r.join(", ")}]`).join(", ")}]`;
  const x0 = Array.from({ length: nx }, (_, i) => (i < masses ? 0.5 : 0));
  return `
const Ac[${nx}, ${nx}] = ${mat(A)}
const Bc[${nx}, 1] = ${mat(B)}
controller Chain {
  state x[${nx}]
  input u[1] in [-1, 1]
  horizon 20
  learnable q = 1 in [0.1, 10]
  dynamics x+ = Ac*x + Bc*u
  minimize stage q*x'*x + 0.1*u'*u + terminal 10*x'*x
  subject to
    soft -1 <= x[0:${masses}] <= 1 for k in 1..N penalty linear 10
}
plant ChainPlant {
  state s[${nx}] = [${x0.join(", ")}]
  input a[1]
  disturbance e[${nx}] = [${Array.from({ length: nx }, (_, i) => (i === 0 ? "uniform(-0.01, 0.01)" : "0")).join(", ")}]
  dynamics s+ = Ac*s + Bc*a + e
  cost s'*s + 0.1*a'*a
  episode 1000
}
`;
}

const loadStart = loadAverage();
log(`bench:scale  (medians per closed-loop step; ${loadLine("at start")})`);
const Ns = [10, 20, 40, 80, 160, 320].filter((N) => N <= maxN);
const GAMMA_LINE = /^const gamma = 0\.9$/m;
if (!GAMMA_LINE.test(gzSource)) throw new Error("examples/gros_zanon/linear_mpc.mpcrl no longer declares `const gamma = 0.9` on a line of its own");

/** The Gros & Zanon controller with horizon N, and with another discount when `gamma` is given. */
function gzModule(N: number, gamma?: number) {
  const source = gzSource.replace("horizon 10", `horizon ${N}`);
  return compileOrExit(gamma === undefined ? source : source.replace(GAMMA_LINE, `const gamma = ${gamma}`), `gz_N${N}${gamma === undefined ? "" : `_gamma${gamma}`}.mpcrl`);
}

/** `act` and Q-learning rows at every N, each printed by `line`. */
function sweep(gamma: number | undefined, line: (N: number, a: Row, q: Row) => string): { act: Row[]; qlearn: Row[] } {
  const act: Row[] = [];
  const qlearn: Row[] = [];
  for (const N of Ns) {
    const module = gzModule(N, gamma);
    const a = runLoop(module, false, stepsFor(N), N);
    const q = runLoop(module, true, stepsFor(N), N);
    act.push(a);
    qlearn.push(q);
    log(line(N, a, q));
  }
  return { act, qlearn };
}

// one untimed pass at the first size first: the first sizes measured must not pay V8's compilation
// of the solver (their medians are tens of microseconds, the denominator of the N = 160 ratio)
{
  const module = gzModule(Ns[0]);
  runLoop(module, false, stepsFor(Ns[0]), Ns[0]);
  runLoop(module, true, stepsFor(Ns[0]), Ns[0]);
}
log("\n1. Gros & Zanon, horizon N (n decision variables, m rows)");
log("     N      n      m   act ms   sets/step   ipm/step  admm/step   Q-step ms   sets/step   ipm/step  admm/step  fallbacks");
const { act, qlearn } = sweep(
  undefined,
  (N, a, q) =>
    `${String(N).padStart(6)} ${String(a.n).padStart(6)} ${String(a.m).padStart(6)} ${a.msPerStep.toFixed(3).padStart(8)} ${a.factorizationsPerStep.toFixed(1).padStart(11)} ${a.ipmPerStep.toFixed(2).padStart(10)} ${a.admmPerStep.toFixed(2).padStart(10)} ${q.msPerStep.toFixed(3).padStart(11)} ${q.factorizationsPerStep.toFixed(1).padStart(11)} ${q.ipmPerStep.toFixed(2).padStart(10)} ${q.admmPerStep.toFixed(2).padStart(10)} ${String(q.failures).padStart(10)}`,
);
const expAct = exponent(act);
const expQ = exponent(qlearn);
const ratio = (rows: Row[], N: number) => (rows.find((r) => r.size === N)?.msPerStep ?? NaN) / rows[0].msPerStep;
log(`   growth exponent in N (fit over ${Ns[0]}..${Ns[Ns.length - 1]}): act ${expAct.toFixed(2)}, Q-learning step ${expQ.toFixed(2)}   (target <= 1.2)`);
if (Ns.includes(160)) {
  log(`   N = 160 vs N = 10: act ${ratio(act, 160).toFixed(1)}x, Q-step ${ratio(qlearn, 160).toFixed(1)}x (target <= 20x); Q-learning step at N = 160: ${qlearn.find((r) => r.size === 160)!.msPerStep.toFixed(2)} ms (target < 2 ms)`);
}

// 1b. the same controller without the discount: the discounted tail (stage weights 0.9^k against an
// undiscounted terminal cost) is what makes warm working sets fail on long horizons; without it
// the growth is the method's own
log("\n1b. The same with gamma = 1 (no discount)");
log("     N   act ms   sets/step   Q-step ms   sets/step");
const { act: actFlat, qlearn: qFlat } = sweep(
  1,
  (N, a, q) => `${String(N).padStart(6)} ${a.msPerStep.toFixed(3).padStart(8)} ${a.factorizationsPerStep.toFixed(1).padStart(11)} ${q.msPerStep.toFixed(3).padStart(11)} ${q.factorizationsPerStep.toFixed(1).padStart(11)}`,
);
const expActFlat = exponent(actFlat);
const expQFlat = exponent(qFlat);
log(`   growth exponent in N: act ${expActFlat.toFixed(2)}, Q-learning step ${expQFlat.toFixed(2)}`);

// 1c. a Q-learning run is chaotic (issue 14): a solver change that picks another of several optimal
// active sets of a degenerate QP moves the multipliers, the gradient and so the parameters, and the
// run drifts into other regimes (some with an interior-point solve at most steps). One sequence's
// median is then luck; four sequences of the recorded noise (offsets 0, 1000, 2000, 3000), pooled
const SEQ_OFFSETS = [0, 1000, 2000, 3000];
const SEQ_STEPS = 100;
const sequences: { offset: number; msPerStep: number; mean: number; ipmPerStep: number; factorizationsPerStep: number }[] = [];
let pooled: { median: number; p10: number; p90: number; mean: number; ipmPerStep: number } | undefined;
if (Ns.includes(160)) {
  log(`\n1c. Q-learning at N = 160 on ${SEQ_OFFSETS.length} disturbance sequences (offsets ${SEQ_OFFSETS.join(", ")} of the recorded noise, ${SEQ_STEPS} steps each)`);
  log("  offset   median ms    mean ms   interior-point/step   sets/step");
  const module = gzModule(160);
  const all: number[] = [];
  for (const offset of SEQ_OFFSETS) {
    const r = runLoop(module, true, SEQ_STEPS, 160, undefined, offset);
    const mean = r.times.reduce((a, b) => a + b, 0) / r.times.length;
    all.push(...r.times);
    sequences.push({ offset, msPerStep: r.msPerStep, mean, ipmPerStep: r.ipmPerStep, factorizationsPerStep: r.factorizationsPerStep });
    log(`${String(offset).padStart(8)} ${r.msPerStep.toFixed(3).padStart(11)} ${mean.toFixed(3).padStart(10)} ${r.ipmPerStep.toFixed(2).padStart(21)} ${r.factorizationsPerStep.toFixed(1).padStart(11)}`);
  }
  pooled = { median: median(all), p10: quantile(all, 0.1), p90: quantile(all, 0.9), mean: all.reduce((a, b) => a + b, 0) / all.length, ipmPerStep: sequences.reduce((a, r) => a + r.ipmPerStep, 0) / sequences.length };
  log(`  pooled: median ${pooled.median.toFixed(3)} ms [p10 ${pooled.p10.toFixed(3)}, p90 ${pooled.p90.toFixed(3)}], mean ${pooled.mean.toFixed(3)} ms, ${pooled.ipmPerStep.toFixed(2)} interior-point solves per step (target: median < 2 ms)`);
}

log("\n2. Chain of masses, N = 20, act per closed-loop step against the state size");
log("  masses     nx      n      m   act ms   sets/step  admm/step");
const chain: Row[] = [];
for (const masses of [2, 4, 8, 16, 32]) {
  const module = compileOrExit(chainSpec(masses), `chain_${masses}.mpcrl`);
  const r = runLoop(module, false, masses >= 16 ? 60 : 150, 2 * masses);
  chain.push(r);
  log(`${String(masses).padStart(8)} ${String(2 * masses).padStart(6)} ${String(r.n).padStart(6)} ${String(r.m).padStart(6)} ${r.msPerStep.toFixed(3).padStart(8)} ${r.factorizationsPerStep.toFixed(1).padStart(11)} ${r.admmPerStep.toFixed(2).padStart(10)}`);
}
const expChain = exponent(chain);
log(`   growth exponent in nx: ${expChain.toFixed(2)}`);
const nativeScript = fileURLToPath(new URL("./native_scale.py", import.meta.url));
const native = detectNative(nativeScript);
const nativeRows: (NativeScaleLine & { size: number; oursMs: number })[] = [];
const nativeExponents: { tight?: number; default?: number } = {};
if (native.available) {
  log(`\n3. Native OSQP (osqp ${native.version}) on the QPs of 1's act loops, measured in this run (tight: 1e-6 + polish; default: 1e-3; check every 5)`);
  log("     N settings   ours act ms   native solve ms (wall)   ours/native   iterations   not solved   polish failed   max |u0 - ours|");
  const dir = mkdtempSync(join(tmpdir(), "mpcrl-scale-"));
  try {
    for (const N of Ns) {
      const file = join(dir, `gz_N${N}.json`);
      // ours, recording its QPs, right before native's on them (the two see the same load)
      const ours = runLoop(gzModule(N), false, stepsFor(N), N, `gz_N${N}`);
      const oursMs = ours.msPerStep;
      writeFileSync(file, JSON.stringify({ problems: [ours.qps] }));
      for (const r of runNative<NativeScaleLine>(native, nativeScript, [file])) {
        nativeRows.push({ ...r, size: N, oursMs });
        log(`${String(N).padStart(6)} ${r.settings.padStart(8)} ${oursMs.toFixed(3).padStart(13)} ${(r.core_us / 1000).toFixed(3).padStart(14)} (${(r.wall_us / 1000).toFixed(3)}) ${(oursMs / (r.core_us / 1000)).toFixed(2).padStart(13)} ${String(r.median_iter).padStart(12)} ${String(r.unsolved).padStart(12)} ${String(r.unpolished).padStart(15)} ${r.max_du0.toExponential(1).padStart(17)}${r.unsolved > 0 ? `   (${unsolvedText(r)})` : ""}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  for (const settings of ["tight", "default"] as const) {
    const rows = nativeRows.filter((r) => r.settings === settings).map((r) => ({ size: r.size, msPerStep: r.core_us / 1000 }));
    if (rows.length >= 2) nativeExponents[settings] = exponent(rows);
  }
  log(`   native growth exponent in N: tight ${nativeExponents.tight?.toFixed(2) ?? "-"}, default ${nativeExponents.default?.toFixed(2) ?? "-"}`);
} else {
  log(`\nnative OSQP on the same QPs: not measured here (${native.reason}); bench/native.ts says how to set it up`);
}
log(loadLine("at end"));
emitJson({ bench: "scale", date: new Date().toISOString(), loadStart, loadEnd: loadAverage(), gz: { act: act.map(withoutTimes), qlearning: qlearn.map(withoutTimes), exponentAct: expAct, exponentQ: expQ, sequences, sequenceSteps: SEQ_STEPS, pooled }, gzUndiscounted: { act: actFlat.map(withoutTimes), qlearning: qFlat.map(withoutTimes), exponentAct: expActFlat, exponentQ: expQFlat }, chain: { rows: chain.map(withoutTimes), exponent: expChain }, native: { available: native.available, version: native.version, reason: native.reason, rows: nativeRows, exponents: nativeExponents } });
