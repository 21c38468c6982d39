// The two reference systems of ../shared/data/anchors/nmpc_cstr_cartpole.json as OcpModels, with
// hand-written Jacobians (exact Hessians from hyper-dual numbers, ./hyperdual.ts):
//  - gym's cart-pole (Barto, Sutton & Anderson 1983; gym CartPoleEnv equations), balance and
//    swing-up, one RK4 step per 0.02 s, quadratic cost as least-squares residuals.
//    theta = [masspole, length_half_pole, pRef] (defaults 0.1, 0.5, 0).
//  - do-mpc's CSTR (Klatt & Engell 1998; do-mpc examples/CSTR), scaled variables
//    x_s = x / [1, 1, 100, 100], u_s = u / [100, 2000], augmented by the previous input (scaled)
//    so that the input-rate penalty of do-mpc (changes of the SCALED inputs, u_{-1} = 0) is a
//    least-squares residual; discrete dynamics = one RK4 step of 0.005 h (the runtime's
//    integrator) plus u_prev+ = u. Soft T_R <= 140 with penalty 100*eps (eps in degC).
//    theta = [alpha, beta, cbRef] (defaults 1, 1, 0.6).

import { StepIntegrator } from "../integrator.js";
import type { DynamicsOut, OcpModel, StageFunction, StageOut } from "../types.js";
import { add, cos, div, exp, hd, hessianOf, mul, scl, sin, sub, type HD } from "./hyperdual.js";

// ------------------------------------------------------------------ cart-pole

const G = 9.8;
const MC = 1.0;

/** Cart-pole x' = f(x, u, theta) with Jacobians (hand-written). */
export function cartpoleDynamics(x: Float64Array, u: Float64Array, th: Float64Array, _rt: Float64Array, out: DynamicsOut): void {
  const mp = th[0];
  const l = th[1];
  const pd = x[1];
  const a = x[2];
  const w = x[3];
  const F = u[0];
  const s = Math.sin(a);
  const c = Math.cos(a);
  const M = MC + mp;
  const pml = mp * l;
  const temp = (F + pml * w * w * s) / M;
  const tA = (pml * w * w * c) / M;
  const tW = (2 * pml * w * s) / M;
  const tU = 1 / M;
  const tMp = (l * w * w * s) / M - temp / M;
  const tL = (mp * w * w * s) / M;
  const num = G * s - c * temp;
  const nA = G * c + s * temp - c * tA;
  const D = l * (4 / 3 - (mp * c * c) / M);
  const DA = l * ((2 * mp * c * s) / M);
  const DMp = (-l * c * c * MC) / (M * M);
  const DL = 4 / 3 - (mp * c * c) / M;
  const th2 = num / D;
  const hA = nA / D - (th2 * DA) / D;
  const hW = (-c * tW) / D;
  const hU = (-c * tU) / D;
  const hMp = (-c * tMp) / D - (th2 * DMp) / D;
  const hL = (-c * tL) / D - (th2 * DL) / D;
  const r = pml / M;
  const pacc = temp - r * th2 * c;
  const pA = tA - r * (hA * c - th2 * s);
  const pW = tW - r * c * hW;
  const pU = tU - r * c * hU;
  const pMp = tMp - ((l * MC) / (M * M)) * th2 * c - r * c * hMp;
  const pL = tL - (mp / M) * th2 * c - r * c * hL;
  out.f[0] = pd;
  out.f[1] = pacc;
  out.f[2] = w;
  out.f[3] = th2;
  const fx = out.fx;
  fx.fill(0);
  fx[0 * 4 + 1] = 1;
  fx[1 * 4 + 2] = pA;
  fx[1 * 4 + 3] = pW;
  fx[2 * 4 + 3] = 1;
  fx[3 * 4 + 2] = hA;
  fx[3 * 4 + 3] = hW;
  out.fu[0] = 0;
  out.fu[1] = pU;
  out.fu[2] = 0;
  out.fu[3] = hU;
  const ft = out.ftheta; // 4 x 3
  ft.fill(0);
  ft[1 * 3 + 0] = pMp;
  ft[1 * 3 + 1] = pL;
  ft[3 * 3 + 0] = hMp;
  ft[3 * 3 + 1] = hL;
}

/** The same f in hyper-dual arithmetic over v = (x, u, theta) (8 entries). */
export function cartpoleHd(v: HD[]): HD[] {
  const [, pd, a, w, F, mp, l] = v;
  const s = sin(a);
  const c = cos(a);
  const M = add(hd(MC), mp);
  const pml = mul(mp, l);
  const temp = div(add(F, mul(mul(pml, mul(w, w)), s)), M);
  const num = sub(scl(G, s), mul(c, temp));
  const D = mul(l, sub(hd(4 / 3), div(mul(mp, mul(c, c)), M)));
  const th2 = div(num, D);
  const pacc = sub(temp, div(mul(mul(pml, th2), c), M));
  return [pd, pacc, w, th2];
}

const cpHessV = new Float64Array(8);
export function cartpoleDynamicsHessian(x: Float64Array, u: Float64Array, th: Float64Array, _rt: Float64Array, lambda: Float64Array, out: Float64Array): void {
  cpHessV.set(x, 0);
  cpHessV[4] = u[0];
  cpHessV.set(th, 5);
  hessianOf(cartpoleHd, cpHessV, lambda, out);
}

const CP_Q = [1, 0.1, 10, 0.1];
const CP_R = 0.01;

function cartpoleResidual(terminal: boolean): StageFunction {
  const nr = terminal ? 4 : 5;
  return {
    size: nr,
    eval(_k, x, u, th, _rt, out: StageOut) {
      out.jx.fill(0);
      out.ju.fill(0);
      out.jtheta.fill(0);
      for (let i = 0; i < 4; i++) {
        const s = Math.sqrt(CP_Q[i]);
        out.value[i] = s * (x[i] - (i === 0 ? th[2] : 0));
        out.jx[i * 4 + i] = s;
      }
      out.jtheta[0 * 3 + 2] = -1;
      if (!terminal) {
        out.value[4] = Math.sqrt(CP_R) * u[0];
        out.ju[4] = Math.sqrt(CP_R);
      }
    },
  };
}

export interface CartpoleOptions {
  readonly N?: number;
  readonly theta?: ArrayLike<number>;
  /** Provide the exact dynamics Hessian (default true). */
  readonly hessian?: boolean;
}

export function cartpoleModel(opts: CartpoleOptions = {}): OcpModel & { theta0: Float64Array } {
  const N = opts.N ?? 40;
  const xLower = new Float64Array((N + 1) * 4).fill(-Infinity);
  const xUpper = new Float64Array((N + 1) * 4).fill(Infinity);
  for (let k = 1; k <= N; k++) {
    xLower[k * 4] = -2.4;
    xUpper[k * 4] = 2.4;
  }
  return {
    nx: 4,
    nu: 1,
    N,
    nTheta: 3,
    theta0: Float64Array.from(opts.theta ?? [0.1, 0.5, 0]),
    dynamics: cartpoleDynamics,
    ...(opts.hessian === false ? {} : { dynamicsHessian: cartpoleDynamicsHessian }),
    integrator: { kind: "rk4", dt: 0.02, substeps: 1 },
    residual: cartpoleResidual(false),
    terminalResidual: cartpoleResidual(true),
    xLower,
    xUpper,
    uLower: new Float64Array(N).fill(-10),
    uUpper: new Float64Array(N).fill(10),
  };
}

/** The reference plant: the same RK4 step. */
export function cartpolePlant(theta: ArrayLike<number> = [0.1, 0.5, 0]): (x: Float64Array, u: Float64Array) => Float64Array {
  const integ = new StepIntegrator(4, 1, 3, cartpoleDynamics, { kind: "rk4", dt: 0.02, substeps: 1 });
  const th = Float64Array.from(theta);
  const rt = new Float64Array(0);
  return (x, u) => Float64Array.from(integ.step(x, u, th, rt).f);
}

export function cartpoleStageCost(x: ArrayLike<number>, u: ArrayLike<number>): number {
  let s = CP_R * u[0] * u[0];
  for (let i = 0; i < 4; i++) s += CP_Q[i] * x[i] * x[i];
  return s;
}

// ------------------------------------------------------------------ CSTR

export const CSTR = {
  K0_ab: 1.287e12,
  K0_bc: 1.287e12,
  K0_ad: 9.043e9,
  E_A_ab: 9758.3,
  E_A_bc: 9758.3,
  E_A_ad: 8560.0,
  H_R_ab: 4.2,
  H_R_bc: -11.0,
  H_R_ad: -41.85,
  Rou: 0.9342,
  Cp: 3.01,
  Cp_k: 2.0,
  A_R: 0.215,
  V_R: 10.01,
  m_k: 5.0,
  T_in: 130.0,
  K_w: 4032.0,
  C_A0: 5.1,
};
export const CSTR_SX = [1, 1, 100, 100];
export const CSTR_SU = [100, 2000];

/** Physical CSTR f(x, u; alpha, beta) with Jacobians fx (4x4), fu (4x2), fab (4x2, w.r.t. alpha, beta). */
export function cstrPhysical(x: ArrayLike<number>, u: ArrayLike<number>, alpha: number, beta: number, f: Float64Array, fx: Float64Array, fu: Float64Array, fab: Float64Array): void {
  const P = CSTR;
  const [Ca, Cb, TR, TK] = [x[0], x[1], x[2], x[3]];
  const [F, Q] = [u[0], u[1]];
  const T = TR + 273.15;
  const e1 = Math.exp(-P.E_A_ab / T);
  const K1 = beta * P.K0_ab * e1;
  const K2 = P.K0_bc * Math.exp(-P.E_A_bc / T);
  const K3 = P.K0_ad * Math.exp((-alpha * P.E_A_ad) / T);
  const K1T = (K1 * P.E_A_ab) / (T * T);
  const K2T = (K2 * P.E_A_bc) / (T * T);
  const K3T = (K3 * alpha * P.E_A_ad) / (T * T);
  const K1b = P.K0_ab * e1;
  const K3a = (-K3 * P.E_A_ad) / T;
  const c3 = -1 / (P.Rou * P.Cp);
  const c4 = (P.K_w * P.A_R) / (P.Rou * P.Cp * P.V_R);
  const c5 = 1 / (P.m_k * P.Cp_k);
  f[0] = F * (P.C_A0 - Ca) - K1 * Ca - K3 * Ca * Ca;
  f[1] = -F * Cb + K1 * Ca - K2 * Cb;
  f[2] = c3 * (K1 * Ca * P.H_R_ab + K2 * Cb * P.H_R_bc + K3 * Ca * Ca * P.H_R_ad) + F * (P.T_in - TR) - c4 * (TR - TK);
  f[3] = c5 * (Q + P.K_w * P.A_R * (TR - TK));
  fx.fill(0);
  fu.fill(0);
  fab.fill(0);
  fx[0] = -F - K1 - 2 * K3 * Ca;
  fx[2] = -K1T * Ca - K3T * Ca * Ca;
  fu[0] = P.C_A0 - Ca;
  fab[0] = -K3a * Ca * Ca;
  fab[1] = -K1b * Ca;
  fx[4] = K1;
  fx[5] = -F - K2;
  fx[6] = K1T * Ca - K2T * Cb;
  fu[2] = -Cb;
  fab[3] = K1b * Ca;
  fx[8] = c3 * (K1 * P.H_R_ab + 2 * K3 * Ca * P.H_R_ad);
  fx[9] = c3 * K2 * P.H_R_bc;
  fx[10] = c3 * (K1T * Ca * P.H_R_ab + K2T * Cb * P.H_R_bc + K3T * Ca * Ca * P.H_R_ad) - F - c4;
  fx[11] = c4;
  fu[4] = P.T_in - TR;
  fab[4] = c3 * K3a * Ca * Ca * P.H_R_ad;
  fab[5] = c3 * K1b * Ca * P.H_R_ab;
  fx[14] = c5 * P.K_w * P.A_R;
  fx[15] = -c5 * P.K_w * P.A_R;
  fu[7] = c5;
}

/** Scaled continuous CSTR over (x_s (4), u_s (2), theta (3)) in hyper-dual arithmetic. */
export function cstrScaledHd(v: HD[]): HD[] {
  const P = CSTR;
  const Ca = v[0];
  const Cb = v[1];
  const TR = scl(100, v[2]);
  const TK = scl(100, v[3]);
  const F = scl(100, v[4]);
  const Q = scl(2000, v[5]);
  const alpha = v[6];
  const beta = v[7];
  const T = add(TR, hd(273.15));
  const K1 = mul(beta, scl(P.K0_ab, exp(div(hd(-P.E_A_ab), T))));
  const K2 = scl(P.K0_bc, exp(div(hd(-P.E_A_bc), T)));
  const K3 = scl(P.K0_ad, exp(div(scl(-P.E_A_ad, alpha), T)));
  const c3 = -1 / (P.Rou * P.Cp);
  const c4 = (P.K_w * P.A_R) / (P.Rou * P.Cp * P.V_R);
  const c5 = 1 / (P.m_k * P.Cp_k);
  const CaCa = mul(Ca, Ca);
  const f0 = sub(sub(mul(F, sub(hd(P.C_A0), Ca)), mul(K1, Ca)), mul(K3, CaCa));
  const f1 = sub(add(scl(-1, mul(F, Cb)), mul(K1, Ca)), mul(K2, Cb));
  const f2 = sub(
    add(scl(c3, add(add(scl(P.H_R_ab, mul(K1, Ca)), scl(P.H_R_bc, mul(K2, Cb))), scl(P.H_R_ad, mul(K3, CaCa)))), mul(F, sub(hd(P.T_in), TR))),
    scl(c4, sub(TR, TK)),
  );
  const f3 = scl(c5, add(Q, scl(P.K_w * P.A_R, sub(TR, TK))));
  return [f0, f1, scl(0.01, f2), scl(0.01, f3)];
}

const cx = new Float64Array(4);
const cu = new Float64Array(2);
const cfx = new Float64Array(16);
const cfu = new Float64Array(8);
const cfab = new Float64Array(8);
/** Scaled continuous CSTR: x_s (4), u_s (2), theta = [alpha, beta, cbRef]. */
export function cstrScaledDynamics(x: Float64Array, u: Float64Array, th: Float64Array, _rt: Float64Array, out: DynamicsOut): void {
  for (let i = 0; i < 4; i++) cx[i] = CSTR_SX[i] * x[i];
  for (let i = 0; i < 2; i++) cu[i] = CSTR_SU[i] * u[i];
  cstrPhysical(cx, cu, th[0], th[1], out.f, cfx, cfu, cfab);
  for (let i = 0; i < 4; i++) {
    out.f[i] /= CSTR_SX[i];
    for (let j = 0; j < 4; j++) out.fx[i * 4 + j] = (cfx[i * 4 + j] * CSTR_SX[j]) / CSTR_SX[i];
    for (let j = 0; j < 2; j++) out.fu[i * 2 + j] = (cfu[i * 2 + j] * CSTR_SU[j]) / CSTR_SX[i];
    out.ftheta[i * 3 + 0] = cfab[i * 2] / CSTR_SX[i];
    out.ftheta[i * 3 + 1] = cfab[i * 2 + 1] / CSTR_SX[i];
    out.ftheta[i * 3 + 2] = 0;
  }
}

const csV = new Float64Array(9);
export function cstrScaledHessian(x: Float64Array, u: Float64Array, th: Float64Array, _rt: Float64Array, lambda: Float64Array, out: Float64Array): void {
  csV.set(x.subarray(0, 4), 0);
  csV.set(u, 4);
  csV.set(th, 6);
  hessianOf(cstrScaledHd, csV, lambda, out);
}

export interface CstrOptions {
  readonly N?: number;
  readonly theta?: ArrayLike<number>;
}

/** The CSTR OCP (augmented state [C_a, C_b, T_R/100, T_K/100, F_prev/100, Q_prev/2000]). */
export function cstrModel(opts: CstrOptions = {}): OcpModel & { theta0: Float64Array } {
  const N = opts.N ?? 20;
  const integ = new StepIntegrator(4, 2, 3, cstrScaledDynamics, { kind: "rk4", dt: 0.005, substeps: 1 }, cstrScaledHessian);
  const xs = new Float64Array(4);
  const nx = 6;
  const xLower = new Float64Array((N + 1) * nx).fill(-Infinity);
  const xUpper = new Float64Array((N + 1) * nx).fill(Infinity);
  for (let k = 1; k <= N; k++) {
    xLower.set([0.1, 0.1, 0.5, 0.5], k * nx);
    xUpper.set([2, 2, Infinity, 1.4], k * nx);
  }
  const uLower = new Float64Array(N * 2);
  const uUpper = new Float64Array(N * 2);
  for (let k = 0; k < N; k++) {
    uLower.set([0.05, -4.25], k * 2);
    uUpper.set([1, 0], k * 2);
  }
  const hInt = new Float64Array(81);
  const lam4 = new Float64Array(4);
  const residual: StageFunction = {
    size: 3,
    eval(_k, x, u, th, _rt, out) {
      out.jx.fill(0);
      out.ju.fill(0);
      out.jtheta.fill(0);
      out.value[0] = x[1] - th[2];
      out.jx[1] = 1;
      out.jtheta[2] = -1;
      const a = Math.sqrt(0.1);
      const b = Math.sqrt(1e-3);
      out.value[1] = a * (u[0] - x[4]);
      out.ju[2] = a;
      out.jx[6 + 4] = -a;
      out.value[2] = b * (u[1] - x[5]);
      out.ju[5] = b;
      out.jx[12 + 5] = -b;
    },
  };
  const terminalResidual: StageFunction = {
    size: 1,
    eval(_k, x, _u, th, _rt, out) {
      out.jx.fill(0);
      out.jtheta.fill(0);
      out.value[0] = x[1] - th[2];
      out.jx[1] = 1;
      out.jtheta[2] = -1;
    },
  };
  const soft: StageFunction = {
    size: 1,
    eval(_k, x, _u, _th, _rt, out) {
      out.jx.fill(0);
      out.ju.fill(0);
      out.jtheta.fill(0);
      out.value[0] = 100 * x[2] - 140;
      out.jx[2] = 100;
    },
  };
  return {
    nx,
    nu: 2,
    N,
    nTheta: 3,
    theta0: Float64Array.from(opts.theta ?? [1, 1, 0.6]),
    integrator: { kind: "discrete" },
    dynamics(x, u, th, rt, out) {
      xs.set(x.subarray(0, 4));
      const o = integ.step(xs, u, th, rt);
      out.fx.fill(0);
      out.fu.fill(0);
      out.ftheta.fill(0);
      for (let i = 0; i < 4; i++) {
        out.f[i] = o.f[i];
        for (let j = 0; j < 4; j++) out.fx[i * 6 + j] = o.fx[i * 4 + j];
        for (let j = 0; j < 2; j++) out.fu[i * 2 + j] = o.fu[i * 2 + j];
        for (let j = 0; j < 3; j++) out.ftheta[i * 3 + j] = o.ftheta[i * 3 + j];
      }
      out.f[4] = u[0];
      out.f[5] = u[1];
      out.fu[4 * 2 + 0] = 1;
      out.fu[5 * 2 + 1] = 1;
    },
    dynamicsHessian(x, u, th, rt, lambda, out) {
      // (x_s, u_prev, u, theta) = 11; the integrator's Hessian is over (x_s, u, theta) = 9
      xs.set(x.subarray(0, 4));
      integ.step(xs, u, th, rt);
      for (let i = 0; i < 4; i++) lam4[i] = lambda[i];
      hInt.fill(0);
      integ.hessian(lam4, hInt);
      out.fill(0);
      const map = (a: number): number => (a < 4 ? a : a + 2); // 9-index -> 11-index
      for (let a = 0; a < 9; a++) for (let b = 0; b < 9; b++) out[map(a) * 11 + map(b)] = hInt[a * 9 + b];
    },
    residual,
    terminalResidual,
    softConstraint: { fn: soft, l1: Float64Array.of(100), l2: Float64Array.of(0) },
    xLower,
    xUpper,
    uLower,
    uUpper,
  };
}

/** The plant: RK4 with `substeps` steps per 0.005 h on the physical model (alpha = beta = 1). */
export function cstrPlant(substeps = 100): (x: Float64Array, u: Float64Array) => Float64Array {
  const integ = new StepIntegrator(4, 2, 3, cstrScaledDynamics, { kind: "rk4", dt: 0.005, substeps });
  const th = Float64Array.of(1, 1, 0.6);
  const rt = new Float64Array(0);
  const xs = new Float64Array(4);
  const us = new Float64Array(2);
  return (x, u) => {
    for (let i = 0; i < 4; i++) xs[i] = x[i] / CSTR_SX[i];
    for (let i = 0; i < 2; i++) us[i] = u[i] / CSTR_SU[i];
    const f = integ.step(xs, us, th, rt).f;
    return Float64Array.from([0, 1, 2, 3], (i) => f[i] * CSTR_SX[i]);
  };
}

/** do-mpc's closed-loop stage cost (physical x, u; uPrev = previous applied input, 0 first). */
export function cstrStageCost(x: ArrayLike<number>, u: ArrayLike<number>, uPrev: ArrayLike<number>): number {
  return (x[1] - 0.6) ** 2 + 0.1 * ((u[0] - uPrev[0]) / 100) ** 2 + 1e-3 * ((u[1] - uPrev[1]) / 2000) ** 2 + 100 * Math.max(0, x[2] - 140);
}

/** Augmented scaled state of the controller from the physical state and previous input. */
export function cstrAugmented(x: ArrayLike<number>, uPrev: ArrayLike<number>): Float64Array {
  return Float64Array.of(x[0], x[1], x[2] / 100, x[3] / 100, uPrev[0] / 100, uPrev[1] / 2000);
}
