// `npm run bench:compile`: the compiler and the generated controller.
// 1. Compile time (check + lower + numeric checks + emit with formatting; and without emitting)
//    of every shipped example and of a large generated spec (nx 20, nu 8, N 40, learnable A, B, Q).
// 2. Gros & Zanon controller (default settings): time per act, qvalue, gradValue, gradQvalue and
//    policySensitivity over the first 100 recorded states of mpcrl's nominal run, beside the bare
//    QP solve of the same problems with the same settings (the overhead of the generated code).
// Medians of several repetitions; the machine is shared, so the load average is printed.
// 3. The derivative step of a learning update: `act` then `gradQvalue` (at act's input) and
//    `policySensitivity` on the same state, beside the figure measured before the one KKT layer
//    (runtime/qp/kkt.ts: the sensitivity reuses the controller's accepted factorization).
// Usage: tsx bench/compile.ts [--reps N] [--json] [--gz]   (--gz: sections 2 and 3 only)

import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { compile, compileToModule, lower } from "../compiler/index.js";
import { defaultMpcSettings } from "../runtime/mpc/controller.js";
import { dataLayout } from "../runtime/mpc/template.js";
import { QpSolver } from "../runtime/qp/osqp.js";
import { emitJson, loadAverage, loadLine, log, median } from "./common.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const args = process.argv.slice(2);
const reps = Number(args[args.indexOf("--reps") + 1]) || 5;
const gzOnly = args.includes("--gz");

/** Section 3's figures measured before the one KKT layer (the same machine, `--reps 9 --gz`, the
 *  bench of this commit run on that commit's runtime). */
const BEFORE = { label: "before (commit 9adc4c4, 2026-12-05)", stepUs: 406.6, stepCpuUs: 405.4, gradQvalueUs: 35.5, policySensitivityUs: 343.4, load: "3.06 1.07 0.92" };

function timeMs(f: () => void): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

function largeSpec(nx: number, nu: number, N: number): string {
  const row = (n: number, f: (j: number) => number) => `[${Array.from({ length: n }, (_, j) => f(j)).join(", ")}]`;
  const A = `[${Array.from({ length: nx }, (_, i) => row(nx, (j) => (i === j ? 0.95 : j === i + 1 ? 0.1 : 0))).join(", ")}]`;
  const B = `[${Array.from({ length: nx }, (_, i) => row(nu, (j) => (i % nu === j ? 0.1 : 0))).join(", ")}]`;
  return `
const A0[${nx},${nx}] = ${A}
const B0[${nx},${nu}] = ${B}
controller Large {
  state x[${nx}] in [-5, 5]
  input u[${nu}] in [-1, 1]
  horizon ${N}
  learnable A[${nx},${nx}] = A0
  learnable B[${nx},${nu}] = B0
  learnable diag q[${nx}] = ${row(nx, () => 1)} in [0, 100]
  dynamics x+ = A*x + B*u
  minimize stage quad(x, q) + 0.1*u'*u + terminal quad(x, 10*eye(${nx}))
  subject to
    soft -1 <= x[0:2] <= 1 penalty linear 10
}
`;
}

const loadStart = loadAverage();
const json: Record<string, unknown> = { bench: "compile", date: new Date().toISOString(), reps, compileMs: {} as Record<string, { full: number; noEmit: number }> };
log(`bench:compile  (reps ${reps}, medians)`);
log(loadLine("at start"));
if (!gzOnly) {
  log("\n1. compile time, median ms   [full compile = check + lower + numeric checks + emit + format]");
  log("   spec                                   n     m  theta   full  no-emit  code lines");
  const specs: [string, string][] = [];
  for (const d of readdirSync(`${root}examples`, { withFileTypes: true })) {
    if (!d.isDirectory()) continue;
    for (const f of readdirSync(`${root}examples/${d.name}`)) if (f.endsWith(".mpcrl")) specs.push([`${d.name}/${f}`, readFileSync(`${root}examples/${d.name}/${f}`, "utf8")]);
  }
  specs.sort();
  specs.push(["generated nx=20 nu=8 N=40", largeSpec(20, 8, 40)]);
  if (specs.length > 0) compile(specs[0][1]); // warm up (JIT)
  for (const [name, src] of specs) {
    let code = "";
    const full = median(Array.from({ length: reps }, () => timeMs(() => (code = compile(src, { fileName: name }).code ?? ""))));
    const noEmit = median(Array.from({ length: reps }, () => timeMs(() => lower(src, { fileName: name }))));
    const low = lower(src, { fileName: name });
    const ir = low.ir;
    if (ir === undefined) {
      log(`   ${name.padEnd(36)} does not compile: ${low.diagnostics.find((d) => d.severity === "error")?.message}`);
      continue;
    }
    (json.compileMs as Record<string, { full: number; noEmit: number }>)[name] = { full, noEmit };
    log(
      `   ${name.padEnd(36)} ${String(ir.n).padStart(5)} ${String(ir.m).padStart(5)} ${String(ir.nTheta).padStart(6)} ${full.toFixed(1).padStart(6)} ${noEmit.toFixed(1).padStart(8)} ${String(code.split("\n").length).padStart(11)}`,
    );
  }

}

// 2. Gros & Zanon: per-call times against the bare QP solve
const gz = readFileSync(`${root}examples/gros_zanon/linear_mpc.mpcrl`, "utf8");
const anchor = JSON.parse(readFileSync(`${root}../shared/data/anchors/gz_nominal_mpcrl_5000.json`, "utf8")) as { states: number[][]; actions: number[] };
const states = anchor.states.slice(0, 100);
const { module } = compileToModule(gz, { fileName: "linear_mpc.mpcrl" });
const c = module!.createController();
const t = module!.template;
const L = dataLayout(t);
const data = new Float64Array(L.length);
t.fill(t.theta0, new Float64Array(t.nRuntime), data);

function perCall(f: (s: number[], t: number) => void): number {
  const per: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    states.forEach((s, k) => f(s, k));
    per.push(((performance.now() - t0) / states.length) * 1000);
  }
  return median(per);
}

const bare = (): number => {
  const l = data.slice(L.l, L.u);
  const u = data.slice(L.u, L.c);
  const solver = new QpSolver(
    {
      n: t.n,
      m: t.m,
      P: { rows: t.n, cols: t.n, colPtr: t.P.colPtr, rowIdx: t.P.rowIdx, values: data.slice(L.P, L.q) },
      q: data.slice(L.q, L.A),
      A: { rows: t.m, cols: t.n, colPtr: t.A.colPtr, rowIdx: t.A.rowIdx, values: data.slice(L.A, L.l) },
      l,
      u,
    },
    defaultMpcSettings,
  );
  return perCall((s) => {
    for (let i = 0; i < t.nx; i++) {
      l[t.x0Rows[i]] = s[i];
      u[t.x0Rows[i]] = s[i];
    }
    solver.updateBounds(l, u);
    solver.solve();
  });
};

let iters = 0;
const rows: [string, number][] = [
  ["bare QP solve (same settings)", bare()],
  ["act", perCall((s) => (iters += c.act(s).iterations))],
  ["value", perCall((s) => c.value(s))],
  ["qvalue", perCall((s, k) => c.qvalue(s, [anchor.actions[k]]))],
  ["gradValue", perCall((s) => c.gradValue(s))],
  ["gradQvalue", perCall((s, k) => c.gradQvalue(s, [anchor.actions[k]]))],
  ["policySensitivity (16 directions)", perCall((s) => c.policySensitivity(s))],
];
const fillUs = perCall(() => t.fill(t.theta0, new Float64Array(0), data));
const jac = new Float64Array(t.jacRow.length);
const jacUs = perCall(() => t.jacValues(t.theta0, new Float64Array(0), jac));
log(`\n2. Gros & Zanon controller (n ${t.n}, m ${t.m}, 16 learnable entries), first 100 recorded states, median us per call`);
for (const [name, us] of rows) log(`   ${name.padEnd(36)} ${us.toFixed(1).padStart(9)}  (${(us / rows[0][1]).toFixed(2)}x bare)`);
log(`   generated fill (all QP data)          ${fillUs.toFixed(2).padStart(9)}`);
log(`   generated jacValues (${t.jacRow.length} entries)      ${jacUs.toFixed(2).padStart(9)}`);
log(`   mean ADMM iterations per act: ${(iters / (reps * states.length)).toFixed(1)}`);

// 3. the derivative step of a learning update on one state: act, then gradQvalue at act's input
// and policySensitivity (a fresh controller per repetition, so no row above has warmed its working
// sets). Wall-clock and CPU time (user + system of this process: less sensitive to other load).
const step = (): { wall: number; cpu: number } => {
  const c3 = module!.createController();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (const s of states) {
    const a = c3.act(s);
    c3.gradQvalue(s, a.u);
    c3.policySensitivity(s);
  }
  const wall = ((performance.now() - t0) / states.length) * 1000;
  const cu = process.cpuUsage(c0);
  return { wall, cpu: (cu.user + cu.system) / states.length };
};
step(); // warm up (JIT)
const steps = Array.from({ length: reps }, step);
const stepUs = median(steps.map((r) => r.wall));
const stepCpuUs = median(steps.map((r) => r.cpu));
log(`\n3. act + gradQvalue(act's u) + policySensitivity on the same state, median us per state`);
log(`   ${"".padEnd(36)} ${"wall".padStart(9)} ${"cpu".padStart(9)}`);
log(`   ${"now".padEnd(36)} ${stepUs.toFixed(1).padStart(9)} ${stepCpuUs.toFixed(1).padStart(9)}`);
log(`   ${BEFORE.label.padEnd(36)} ${BEFORE.stepUs.toFixed(1).padStart(9)} ${BEFORE.stepCpuUs.toFixed(1).padStart(9)}  (load then ${BEFORE.load}; gradQvalue ${BEFORE.gradQvalueUs} us, policySensitivity ${BEFORE.policySensitivityUs} us per call in section 2 then)`);
log(loadLine("at end"));
Object.assign(json, { gzPerCallUs: Object.fromEntries(rows), fillUs, jacValuesUs: jacUs, gzStepUs: stepUs, gzStepCpuUs: stepCpuUs, gzStepBefore: BEFORE, load: { start: loadStart, end: loadAverage() } });
emitJson(json);
