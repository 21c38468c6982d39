// Specs of the soundness suite (issue 9): for each class of hole found by the red team, specs the
// checker must reject (with the code) and near-misses it must accept. Shared by
// language/test/check.soundness.test.ts (the verdicts) and compiler/test/soundness.random.test.ts
// (the accepted ones are lowered and their QP data checked numerically over the learnables' boxes).

export interface SoundnessCase {
  readonly name: string;
  readonly source: string;
  /** The code a rejected spec must report; undefined: the spec must check without errors. */
  readonly code?: string;
}

/** A small controller: x, u of size `n`, the given declarations, stage cost and constraints. */
export function spec(decls: string, cost: string, constraints = "", n = 1): string {
  return `controller C {
  state x[${n}]
  input u[${n}] in [-1, 1]
${decls}
  horizon 4
  dynamics x+ = x + u
  minimize stage ${cost}
${constraints ? `  subject to\n    ${constraints}\n` : ""}}
`;
}

export const REJECTED: readonly SoundnessCase[] = [
  // 1. curvature through indexing: (E'*E)[0, 1] = x[0]*u[0] + x[1]*u[1] is bilinear
  { name: "off-diagonal entry of a Gram form", code: "MPC4020", source: spec("  let E = [x, u]", "x'*x + u'*u + (E'*E)[0, 1]", "", 2) },
  { name: "slice of a Gram form", code: "MPC4020", source: spec("  let E = [x, u]", "x'*x + u'*u + sum((E'*E)[0, :])", "", 2) },
  // 2. unknown signs
  { name: "let (-1)^k scaling a square", code: "MPC4019", source: spec("  let s = (-1)^k", "u'*u + s*x'*x") },
  { name: "let k - 2 scaling a square", code: "MPC4019", source: spec("  let s = k - 2", "u'*u + s*x'*x") },
  { name: "w[k] with a negative entry", code: "MPC4019", source: spec("  const w[5] = [1, -1, 1, 1, 1]", "u'*u + w[k]*x'*x") },
  { name: "w[k] scaling quad", code: "MPC4019", source: spec("  const w[5] = [1, 1, -2, 1, 1]", "u'*u + w[k]*quad(x, I)") },
  { name: "a constant too large to fold", code: "MPC4019", source: spec("  const big[600, 600] = ones(600, 600)", "u'*u + (1 - sum(big))*x'*x") },
  { name: "dlqr above the folding size", code: "MPC4002", source: `controller C {
  state x[61]
  input u[1] in [-1, 1]
  horizon 2
  dynamics x+ = x + ones(61, 1)*u
  minimize stage u'*u + terminal quad(x, dlqr(eye(61), ones(61, 1), eye(61), eye(1)))
}
` },
  { name: "unbounded learnable scaling a square", code: "MPC4019", source: spec("  learnable a = 1", "u'*u + a*x'*x") },
  { name: "runtime value scaling a square", code: "MPC4019", source: spec("  runtime r = 1", "u'*u + r*x'*x") },
  // 3. structured learnables: the box bounds L, P = L*L' reaches 2 here (1 - P[1,1] = -1)
  { name: "penalty 1 - P[1,1] of a psd learnable", code: "MPC4009", source: spec("  learnable psd P[2] = [[1, 0], [0, 1]] in [-1, 1]", "u'*u + x'*x", "soft x <= 1 penalty linear 1 - P[1, 1]") },
  { name: "psd entry as a bound offset", code: "MPC4024", source: spec("  learnable psd P[2] = [[1, 0], [0, 1]] in [-1, 1]", "u'*u + x'*x", "P[0, 1] <= u <= 0.5") },
  { name: "upper triangle of a factor is 0", code: "MPC4009", source: spec("  learnable factor L[2] = [[1, 0], [1, 1]] in [0.5, 2]", "u'*u + x'*x", "soft x <= 1 penalty linear L[0, 1] - 0.25") },
  { name: "psd init whose Cholesky factor leaves the box", code: "MPC4014", source: spec("  learnable psd P[2] = [[4, 0], [0, 1]] in [-1, 1]", "u'*u + quad([x; u], P)") },
  // 4. relations, domains, DPP
  { name: "== in a chain", code: "MPC4007", source: spec("  learnable a = 1 in [1, 2]", "u'*u + x'*x", "a <= u[0] == 0") },
  { name: "== then <=", code: "MPC4007", source: spec("", "u'*u + x'*x", "1 == u[0] <= 0") },
  { name: "sqrt of a possibly negative stage expression", code: "MPC4022", source: spec("", "u'*u + sqrt(k - 1)*x'*x") },
  { name: "sqrt of a negative constant", code: "MPC4021", source: spec("  const c = sqrt(-1)", "u'*u + x'*x + c*u[0]") },
  { name: "division by a stage expression that may be 0", code: "MPC4022", source: spec("", "u'*u + x'*x + u[0]/(k - 2)") },
  { name: "^(-1) of a base that may be 0", code: "MPC4022", source: spec("", "u'*u + x'*x + (k - 1)^(-1)*u[0]") },
  { name: "log of a runtime value that may be 0", code: "MPC4022", source: spec("  runtime r = 1 in [0, 2]", "u'*u + x'*x + log(r)*u[0]") },
  { name: "a*b*x'*x with two learnables", code: "MPC4005", source: spec("  learnable a = 1 in [1, 2]\n  learnable b = 1 in [1, 2]", "u'*u + a*b*x'*x") },
  { name: "quad(x, a*b*I) with two learnables", code: "MPC4005", source: spec("  learnable a = 1 in [1, 2]\n  learnable b = 1 in [1, 2]", "u'*u + quad(x, a*b*I)") },
  { name: "a*sumsq(L'*x)", code: "MPC4005", source: spec("  learnable a = 1 in [1, 2]\n  learnable factor L[1] = [[1]] in [-2, 2]", "u'*u + a*sumsq(L'*x)") },
  // 5. const declared bounds
  { name: "const outside its declared bounds", code: "MPC4023", source: spec("  const c = 2 in [0, 1]", "u'*u + c*x'*x") },
  { name: "top-level vector const outside its bounds", code: "MPC4023", source: `const w[2] = [1, -1] in [0, 10]\n${spec("", "u'*u + x'*x + w[0]*u[0]")}` },
  // 6. runtime and disturbance defaults: what a call that omits the value uses must lie in the range
  { name: "runtime default outside its range as a penalty", code: "MPC4023", source: spec("  runtime r = -1 in [0, 3]", "u'*u + x'*x", "soft x[0] <= 1 penalty linear r") },
  { name: "runtime default outside its range as a hard bound", code: "MPC4023", source: spec("  runtime r = 5 in [0, 0.5]", "u'*u + x'*x", "r <= u[0] <= 1 for k in 1..N-1") },
  { name: "implicit runtime default 0 outside its range", code: "MPC4023", source: spec("  runtime r in [0.5, 1]", "u'*u + x'*x", "r <= u[0] <= 1") },
  { name: "infinite runtime default inside an unbounded range", code: "MPC4023", source: spec("  runtime r = inf in [0, inf]", "u'*u + x'*x", "soft x[0] <= 1 penalty linear r") },
  { name: "infinite runtime default without a range", code: "MPC4023", source: spec("  runtime r = inf", "u'*u + x'*x + r*u[0]") },
  { name: "disturbance default outside its range", code: "MPC4023", source: spec("  disturbance d[1] = [0.1] in [0.2, 1]", "u'*u + x'*x", "soft x[0] <= 1 for k in 1..N penalty linear d[0] - 0.2") },
  // hard constraints whose lb <= ub cannot be proven
  { name: "hard bounds from an unbounded runtime value", code: "MPC4024", source: spec("  runtime r = 0", "u'*u + x'*x", "r <= u <= 1") },
];

export const ACCEPTED: readonly SoundnessCase[] = [
  { name: "diagonal entry of a Gram form", source: spec("  let E = [x, u]", "x'*x + u'*u + (E'*E)[1, 1]", "", 2) },
  { name: "entry of an element-wise square", source: spec("", "u'*u + (x .* x)[0]") },
  { name: "let 0.9^k", source: spec("  let s = 0.9^k", "u'*u + s*x'*x") },
  { name: "let k + 1", source: spec("  let s = k + 1", "u'*u + s*x'*x") },
  { name: "abs of (-1)^k", source: spec("  let s = abs((-1)^k)", "u'*u + s*x'*x") },
  { name: "w[k] with nonnegative entries", source: spec("  const w[5] = [1, 0, 1, 2, 1]", "u'*u + w[k]*x'*x") },
  { name: "bounded learnable scaling a square", source: spec("  learnable a = 1 in [0, 5]", "u'*u + a*x'*x") },
  { name: "runtime value with a nonnegative range", source: spec("  runtime r = 1 in [0, 3]", "u'*u + r*x'*x") },
  { name: "small dlqr", source: spec("", "u'*u + x'*x + terminal quad(x, dlqr(1, 1, 1, 1))") },
  { name: "penalty 1 - P[1,1] with a small factor box", source: spec("  learnable psd P[2] = [[0.25, 0], [0, 0.25]] in [-0.5, 0.5]", "u'*u + x'*x + quad([x; u], P)", "soft x <= 1 penalty linear 1 - P[1, 1]") },
  { name: "psd weight", source: spec("  learnable psd P[2] = [[2, 0], [0, 1]] in [-2, 2]", "quad([x; u], P)") },
  { name: "factor Gram weight", source: spec("  learnable factor L[2] = [[1, 0], [0.5, 1]] in [-2, 2]", "quad([x; u], L*L') + 0.1*u'*u") },
  { name: "diag weight and penalty", source: spec("  learnable diag Q[2] = [1, 2] in [0.5, 10]", "quad([x; u], Q)", "soft x <= 1 penalty quadratic Q[1, 1] - 0.5") },
  { name: "== chain with ordered constants", source: spec("  learnable a = -1 in [-2, -1]", "u'*u + x'*x", "a <= u[0] == 0") },
  { name: "sqrt of a positive stage expression", source: spec("", "u'*u + sqrt(k + 1)*x'*x") },
  { name: "division by k + 1", source: spec("", "u'*u + x'*x/(k + 1)") },
  { name: "(-1)^k in a linear term", source: spec("", "u'*u + x'*x + (-1)^k*u[0]") },
  { name: "a*x'*x with one learnable", source: spec("  learnable a = 1 in [1, 2]", "u'*u + a*x'*x") },
  { name: "quad(x, a*I) with one learnable", source: spec("  learnable a = 1 in [1, 2]", "u'*u + quad(x, a*I)") },
  { name: "const inside its declared bounds", source: spec("  const c = 0.5 in [0, 1]", "u'*u + c*x'*x") },
  { name: "hard bounds from a bounded runtime value", source: spec("  runtime r = 0 in [-1, 0.5]", "u'*u + x'*x", "r <= u <= 1") },
  { name: "disturbance default inside its range as a penalty", source: spec("  disturbance d[1] = [0.5] in [0.2, 1]", "u'*u + x'*x", "soft x[0] <= 1 for k in 1..N penalty linear d[0] - 0.2") },
  { name: "runtime vector with a scalar default inside its range", source: spec("  runtime r[2] = 0.5 in [0, 1]", "u'*u + (x - r)'*(x - r)", "", 2) },
  { name: "soft bounds from learnable offsets (a warning only)", source: spec("  learnable lb = 0", "u'*u + x'*x", "soft lb <= x <= 1 penalty linear 1") },
];
