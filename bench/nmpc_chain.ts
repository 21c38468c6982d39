// The hanging chain of masses (Wirsching, Bock & Diehl 2006, "Fast NMPC of a chain of mass points
// connected by springs"; Kirches et al.; acados' standard NMPC benchmark, examples/acados_python/
// chain_mass): M masses, the first fixed at the origin, M - 2 free masses (position and velocity:
// the states), the last one moved by its velocity (the input, 3 entries; its position is a state).
// Springs between neighbours: force D (1 - L/|d|) d on the masses it joins (d the difference of the
// positions), gravity on the free masses; acados' constants m = 0.033 kg, D = 1 N/m, L = 0.033 m.
// nx = 3 (M - 1) + 3 (M - 2) = 6M - 9 (M = 3: 9, M = 10: 51), nu = 3.
//
// The `.mpcrl` text is generated per M (`chainSpec`) and compiled in process; the rest position
// (end mass at [1, 0, 0]) is computed here by Newton's method on the spring equations; the closed
// loop starts from the rest position pushed by u = [-1, 1, 1] m/s for 0.2 s and drives the chain
// back (least squares to the rest state, |u| <= 1, a wall y >= -0.1 as acados'). The linear
// counterpart is the same chain linearized at rest (its continuous Jacobians, exact ZOH) as a
// linear MPC with the same cost and bounds, run against the same nonlinear plant.

import { runInNewContext } from "node:vm";
import { setFlagsFromString } from "node:v8";
import { compileToModule } from "../compiler/index.js";
import { median, quantile } from "./common.js";

export const CHAIN = { m: 0.033, D: 1.0, L: 0.033, g: 9.81, dt: 0.2, N: 20, substeps: 2, end: [1, 0, 0], wall: -0.1 } as const;

/** Sizes of the chain with M masses. */
export function chainSizes(M: number): { free: number; nx: number; nu: number } {
  const free = M - 2;
  return { free, nx: 3 * (M - 1) + 3 * free, nu: 3 };
}

const num = (v: number): string => (Number.isInteger(v) ? v.toFixed(1) : v.toPrecision(17).replace(/0+$/, "").replace(/\.$/, ".0"));

/** The continuous chain dynamics (plain numbers; the rest position and the plant use them). */
export function chainRhs(M: number, x: ArrayLike<number>, u: ArrayLike<number>): Float64Array {
  const { free, nx } = chainSizes(M);
  const { m, D, L, g } = CHAIN;
  const f = new Float64Array(nx);
  const P = 3 * (M - 1); // positions of masses 1..M-1 (the free ones, then the end)
  const pos = (j: number, c: number): number => (j === 0 ? 0 : x[3 * (j - 1) + c]);
  for (let i = 0; i < 3 * free; i++) f[i] = x[P + i];
  for (let c = 0; c < 3; c++) f[3 * free + c] = u[c];
  for (let s = 1; s < M; s++) {
    // spring s joins mass s-1 and mass s
    const d = [0, 1, 2].map((c) => pos(s, c) - pos(s - 1, c));
    const len = Math.hypot(d[0], d[1], d[2]);
    const k = (D / m) * (1 - L / len);
    for (let c = 0; c < 3; c++) {
      if (s <= free) f[P + 3 * (s - 1) + c] -= k * d[c]; // mass s (free) pulled back
      if (s - 1 >= 1) f[P + 3 * (s - 2) + c] += k * d[c]; // mass s-1 (free) pulled forward
    }
  }
  for (let j = 0; j < free; j++) f[P + 3 * j + 2] -= g;
  return f;
}

/** The rest position (velocities 0, end mass at CHAIN.end) by Newton's method on the forces. */
export function chainRest(M: number): Float64Array {
  const { free, nx } = chainSizes(M);
  const P = 3 * (M - 1);
  const x = new Float64Array(nx);
  // initial guess: the straight line from the origin to the end, sagging
  for (let j = 1; j < M; j++) {
    const t = j / (M - 1);
    for (let c = 0; c < 3; c++) x[3 * (j - 1) + c] = t * CHAIN.end[c];
    if (j < M - 1) x[3 * (j - 1) + 2] -= 0.5 * Math.sin(Math.PI * t);
  }
  const n = 3 * free;
  const zero = [0, 0, 0];
  const res = (z: Float64Array): Float64Array => chainRhs(M, z, zero).subarray(P, P + n);
  for (let it = 0; it < 100; it++) {
    const r = Float64Array.from(res(x));
    const norm = Math.hypot(...r);
    if (norm < 1e-12) return x;
    const J: number[][] = [];
    for (let i = 0; i < n; i++) J.push(new Array<number>(n + 1).fill(0));
    for (let j = 0; j < n; j++) {
      const h = 1e-7;
      const xp = Float64Array.from(x);
      const xm = Float64Array.from(x);
      xp[j] += h;
      xm[j] -= h;
      const rp = res(xp);
      const rm = res(xm);
      for (let i = 0; i < n; i++) J[i][j] = (rp[i] - rm[i]) / (2 * h);
    }
    for (let i = 0; i < n; i++) J[i][n] = -r[i];
    // Gaussian elimination with partial pivoting
    for (let c = 0; c < n; c++) {
      let p = c;
      for (let i = c + 1; i < n; i++) if (Math.abs(J[i][c]) > Math.abs(J[p][c])) p = i;
      [J[c], J[p]] = [J[p], J[c]];
      for (let i = c + 1; i < n; i++) {
        const f = J[i][c] / J[c][c];
        for (let k = c; k <= n; k++) J[i][k] -= f * J[c][k];
      }
    }
    const dx = new Float64Array(n);
    for (let i = n - 1; i >= 0; i--) {
      let s = J[i][n];
      for (let k = i + 1; k < n; k++) s -= J[i][k] * dx[k];
      dx[i] = s / J[i][i];
    }
    // damped step on |r|
    let a = 1;
    for (; a > 1e-6; a /= 2) {
      const xt = Float64Array.from(x);
      for (let i = 0; i < n; i++) xt[i] += a * dx[i];
      if (Math.hypot(...res(xt)) < norm) break;
    }
    for (let i = 0; i < n; i++) x[i] += a * dx[i];
  }
  throw new Error(`chain M = ${M}: no rest position`);
}

/** The nonlinear controller's spec text for M masses. */
export function chainSpec(M: number, method: "sqp" | "rti", rest: Float64Array): string {
  const { free, nx } = chainSizes(M);
  const { m, D, L, g, dt, N, substeps, wall } = CHAIN;
  const P = 3 * (M - 1);
  const pos = (j: number, c: number): string => (j === 0 ? "0" : `x[${3 * (j - 1) + c}]`);
  const lines: string[] = [];
  lines.push(`// hanging chain, ${M} masses (generated by bench/nmpc_chain.ts)`);
  lines.push(`const xr[${nx}] = [${Array.from(rest, num).join(", ")}]`);
  const lo: string[] = [];
  const hi: string[] = [];
  for (let i = 0; i < nx; i++) {
    lo.push(i < P && i % 3 === 1 ? num(wall) : "-inf");
    hi.push("inf");
  }
  lines.push(`controller Chain${M} {`);
  lines.push(`  state x[${nx}] in [[${lo.join(", ")}], [${hi.join(", ")}]]`);
  lines.push(`  input u[3] in [-1, 1]`);
  lines.push(`  horizon ${N}`);
  lines.push(`  timestep ${dt}`);
  lines.push(`  solver ${method}`);
  for (let s = 1; s < M; s++) {
    for (let c = 0; c < 3; c++) lines.push(`  let d${s}_${c} = ${s === 1 ? pos(1, c) : `${pos(s, c)} - ${pos(s - 1, c)}`}`);
    lines.push(`  let k${s} = ${num(D / m)}*(1 - ${num(L)}/sqrt(d${s}_0^2 + d${s}_1^2 + d${s}_2^2))`);
  }
  const rows: string[] = [];
  for (let i = 0; i < 3 * free; i++) rows.push(`x[${P + i}]`);
  for (let c = 0; c < 3; c++) rows.push(`u[${c}]`);
  for (let j = 1; j <= free; j++)
    for (let c = 0; c < 3; c++) {
      // mass j: spring j pulls it back, spring j+1 forward
      let e = `-k${j}*d${j}_${c} + k${j + 1}*d${j + 1}_${c}`;
      if (c === 2) e += ` - ${num(g)}`;
      rows.push(e);
    }
  lines.push(`  dynamics der(x) = [${rows.join(";\n                     ")}] using rk4(${substeps})`);
  lines.push(`  minimize stage sumsq(x - xr) + 0.01*sumsq(u)`);
  lines.push(`    + terminal sumsq(x - xr)`);
  lines.push(`}`);
  return lines.join("\n") + "\n";
}

/** The linear counterpart: the chain linearized at rest, deviation coordinates, exact ZOH. */
export function chainLinearSpec(M: number, rest: Float64Array, Ac: Float64Array, Bc: Float64Array): string {
  const { nx } = chainSizes(M);
  const { dt, N, wall } = CHAIN;
  const P = 3 * (M - 1);
  const mat = (a: Float64Array, r: number, c: number): string => `[${Array.from({ length: r }, (_, i) => `[${Array.from(a.subarray(i * c, (i + 1) * c), num).join(", ")}]`).join(", ")}]`;
  const lo: string[] = [];
  for (let i = 0; i < nx; i++) lo.push(i < P && i % 3 === 1 ? num(wall - rest[i]) : "-inf");
  return [
    `// hanging chain, ${M} masses, linearized at rest (generated by bench/nmpc_chain.ts)`,
    `const Ac[${nx}, ${nx}] = ${mat(Ac, nx, nx)}`,
    `const Bc[${nx}, 3] = ${mat(Bc, nx, 3)}`,
    `controller ChainLin${M} {`,
    `  state x[${nx}] in [[${lo.join(", ")}], [${new Array(nx).fill("inf").join(", ")}]]`,
    `  input u[3] in [-1, 1]`,
    `  horizon ${N}`,
    `  timestep ${dt}`,
    `  dynamics der(x) = Ac*x + Bc*u using zoh`,
    `  minimize stage x'*x + 0.01*u'*u`,
    `    + terminal x'*x`,
    `}`,
    "",
  ].join("\n");
}

let gcFn: (() => void) | undefined;
/** A full garbage collection (exposed through v8 flags at run time), for retained-heap figures. */
export function collect(): void {
  if (gcFn === undefined) {
    setFlagsFromString("--expose-gc");
    gcFn = runInNewContext("gc") as () => void;
  }
  gcFn();
  gcFn();
}

export interface ChainRow {
  masses: number;
  nx: number;
  nu: number;
  mode: "sqp" | "rti" | "linear";
  steps: number;
  compile_s: number;
  step: { median_s: number; p90_s: number };
  /** The first step alone (cold: lazy set-up, the RTI's cold guess, the first factorizations). */
  first_s: number;
  qpsPerStep: number;
  /** process.memoryUsage().heapUsed after a full GC with the compiled controller alive, minus before compiling (bytes). */
  retainedHeapBytes: number;
  /** Largest heapUsed during the closed loop minus the value before compiling (bytes; includes garbage). */
  peakHeapDeltaBytes: number;
  statuses: Record<string, number>;
  /** |x_K - x_rest| at the end of the loop and at its start. */
  finalDeviation: number;
  initialDeviation: number;
  cost: number;
}

const now = (): number => performance.now() / 1000;

/** The perturbed start: the rest position pushed by u = [-1, 1, 1] for `pushSteps` steps of the plant. */
function perturbed(rest: Float64Array, plant: ReturnType<typeof chainPlant>, pushSteps: number): Float64Array {
  let x: Float64Array = Float64Array.from(rest);
  const push = Float64Array.of(-1, 1, 1);
  for (let k = 0; k < pushSteps; k++) x = plant.step(x, push);
  return x;
}

/** The plant: RK4 of the chain equations with 10 substeps per sampling interval. */
function chainPlant(M: number): { step(x: Float64Array, u: Float64Array): Float64Array } {
  const { nx } = chainSizes(M);
  const sub = 10;
  const h = CHAIN.dt / sub;
  return {
    step(x, u) {
      let z = Float64Array.from(x);
      for (let s = 0; s < sub; s++) {
        const k1 = chainRhs(M, z, u);
        const k2 = chainRhs(M, z.map((v, i) => v + 0.5 * h * k1[i]), u);
        const k3 = chainRhs(M, z.map((v, i) => v + 0.5 * h * k2[i]), u);
        const k4 = chainRhs(M, z.map((v, i) => v + h * k3[i]), u);
        const n = new Float64Array(nx);
        for (let i = 0; i < nx; i++) n[i] = z[i] + (h / 6) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
        z = n;
      }
      return z;
    },
  };
}

const dist = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
};

/** One closed loop of the chain with M masses: nonlinear (sqp / rti) or the linearized MPC. */
export function chainLoop(M: number, mode: "sqp" | "rti" | "linear", steps: number, pushSteps = 1): ChainRow {
  const { nx } = chainSizes(M);
  const rest = chainRest(M);
  const plant = chainPlant(M);
  const x0 = perturbed(rest, plant, pushSteps);
  const none = new Float64Array(0);
  collect();
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = now();
  let act: (x: Float64Array) => { u: Float64Array; status: string; qps: number };
  if (mode === "linear") {
    // the continuous Jacobians at rest, from the compiled nonlinear model (its symbolic derivatives)
    const nl = compileToModule(chainSpec(M, "sqp", rest), { fileName: `chain${M}.mpcrl` }).nlpModule;
    if (nl === undefined) throw new Error(`chain M = ${M}: the nonlinear spec does not compile`);
    const mdl = nl.template.model;
    const out = { f: new Float64Array(nx), fx: new Float64Array(nx * nx), fu: new Float64Array(nx * 3), ftheta: new Float64Array(0) };
    mdl.dynamics(rest, new Float64Array(3), none, none, out);
    const compiled = compileToModule(chainLinearSpec(M, rest, out.fx, out.fu), { fileName: `chain_lin${M}.mpcrl` });
    if (compiled.module === undefined) throw new Error(`chain M = ${M}: the linear spec does not compile: ${compiled.diagnostics.map((d) => d.message).join("; ")}`);
    const ctl = compiled.module.createController();
    const dx = new Float64Array(nx);
    act = (x) => {
      for (let i = 0; i < nx; i++) dx[i] = x[i] - rest[i];
      const r = ctl.act(dx);
      return { u: Float64Array.from(r.u), status: r.fallback ? `${r.status}(fallback)` : r.status, qps: 1 };
    };
  } else {
    const compiled = compileToModule(chainSpec(M, mode, rest), { fileName: `chain${M}.mpcrl` });
    const mod = compiled.nlpModule;
    if (mod === undefined) throw new Error(`chain M = ${M}: the spec does not compile: ${compiled.diagnostics.map((d) => d.message).join("; ")}`);
    const ctl = mod.createController();
    act = (x) => {
      const r = ctl.act(x);
      const nlp = ctl.lastAct;
      return { u: Float64Array.from(r.u), status: r.fallback ? `${nlp?.status ?? r.status}(fallback)` : (nlp?.status ?? r.status), qps: nlp?.stats.iterations ?? 0 };
    };
  }
  const compileTime = now() - t0;
  let x: Float64Array = x0;
  const times: number[] = [];
  const statuses: Record<string, number> = {};
  let qps = 0;
  let cost = 0;
  let peak = process.memoryUsage().heapUsed;
  for (let k = 0; k < steps; k++) {
    const t = now();
    const r = act(x);
    times.push(now() - t);
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    qps += r.qps;
    let c = 0;
    for (let i = 0; i < nx; i++) c += (x[i] - rest[i]) ** 2;
    for (let i = 0; i < 3; i++) c += 0.01 * r.u[i] ** 2;
    cost += c;
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    x = plant.step(x, r.u);
  }
  collect();
  const retained = process.memoryUsage().heapUsed - heap0;
  // keep the controller alive through the measurement
  void act;
  return {
    masses: M,
    nx,
    nu: 3,
    mode,
    steps,
    compile_s: compileTime,
    step: { median_s: median(times), p90_s: quantile(times, 0.9) },
    first_s: times[0],
    qpsPerStep: qps / steps,
    retainedHeapBytes: retained,
    peakHeapDeltaBytes: peak - heap0,
    statuses,
    finalDeviation: dist(x, rest),
    initialDeviation: dist(x0, rest),
    cost,
  };
}

/** Least-squares slope of log(y) against log(x): the growth exponent. */
export function growthExponent(xs: readonly number[], ys: readonly number[]): number {
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  const n = lx.length;
  const mx = lx.reduce((a, b) => a + b, 0) / n;
  const my = ly.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (lx[i] - mx) * (ly[i] - my);
    sxx += (lx[i] - mx) ** 2;
  }
  return sxy / sxx;
}
