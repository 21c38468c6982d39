// Keyword documentation (hover) and which keywords start an item in each kind of block
// (completion). The surface syntax is summarized at the top of language/ast.ts.

import { CONTEXTUAL_WORDS, RESERVED_WORDS } from "../language/lexer.js";

export type BlockContext = "top" | "controller" | "plant" | "train" | "settings";

export const keywordDocs: Readonly<Record<string, string>> = {
  const: "`const name[dims] = value`: a constant known at compile time. At top level it is shared by all blocks.",
  controller: "`controller Name { ... }`: an MPC policy: states, inputs, learnable parameters, dynamics model, objective and constraints. Compiled to a parametric convex QP.",
  plant: "`plant Name { ... }`: the environment to train on: true dynamics (may be nonlinear), noise, cost or reward, episode length.",
  train: "`train Controller on Plant { ... }`: a training run: algorithm with its settings, episodes, steps, seed.",
  on: "`train Controller on Plant`: names the plant the controller is trained on.",
  state: "`state x[n] in [lb, ub]`: a state vector. In a controller it is a decision variable over the horizon (x_0 is the measured state).",
  input: "`input u[m] in [lb, ub]`: a control input, a decision variable at each stage of the horizon.",
  param: "`param p = value`: a fixed parameter whose value is known at compile time.",
  runtime: "`runtime r[n] = default`: a parameter given at each call (reference, forecast, price).",
  disturbance: "`disturbance d[n]`: a forecast (controller) or seeded noise (plant) entering the dynamics.",
  learnable: "`learnable [diag|factor|psd] theta[dims] = init in [lb, ub]`: a parameter tuned by training. The MPC stays a convex QP for all its admissible values.",
  diag: "Learnable structure `diag`: a diagonal matrix stored as its diagonal vector.",
  factor: "Learnable structure `factor`: a lower-triangular factor L (use `L*L'` as a PSD weight).",
  psd: "Learnable structure `psd`: a matrix positive semidefinite by construction.",
  let: "`let e = expr`: a named expression (alias), evaluated per stage.",
  horizon: "`horizon N`: the prediction horizon (number of stages, at least 1). `N` names it in expressions.",
  discount: "`discount gamma`: discount factor, 0 < gamma <= 1.",
  timestep: "`timestep dt`: sampling time for continuous dynamics `der(x) = ...`.",
  dynamics: "`dynamics x+ = f(x, u)` (discrete) or `dynamics der(x) = f(x, u) using zoh|rk4|euler` (continuous). Affine in (x, u) in a linear controller; any smooth function with `solver sqp|rti`.",
  using: "`using zoh|rk4|euler`: discretization method of continuous dynamics; `using rk4(4)`: 4 integration steps per timestep (nonlinear controllers).",
  zoh: "Exact zero-order-hold discretization (linear systems).",
  rk4: "Classic fourth-order Runge-Kutta discretization; `rk4(n)`: n steps per timestep (nonlinear controllers).",
  euler: "Forward Euler discretization; `euler(n)`: n steps per timestep (nonlinear controllers).",
  solver: "`solver qp|sqp|rti(hessian = gauss_newton|exact, max_iterations = n, tolerance = t)`: how the controller is solved. Absent or `qp`: one convex QP (linear MPC); `sqp`, `rti`: nonlinear MPC (smooth dynamics and constraints, `sumsq` costs) by SQP or the real-time iteration.",
  qp: "`solver qp` (the default): a linear MPC, one convex QP per step.",
  sqp: "`solver sqp`: nonlinear MPC by sequential quadratic programming (convex QP subproblems iterated to convergence).",
  rti: "`solver rti`: nonlinear MPC by the real-time iteration (one convex QP per step, warm-started from the shifted previous solution).",
  gauss_newton: "`hessian = gauss_newton` (the default of `solver sqp|rti`): the Hessian 2 J'J of the `sumsq(r)` cost terms, PSD by construction.",
  exact: "`hessian = exact` (in `solver sqp|rti(...)`): the Lagrangian's Hessian, convexified per stage; allows general smooth cost terms.",
  minimize: "`minimize terms`: the MPC objective: an unlabelled leading term (once), `stage` terms (summed over k), a `terminal` term (at x_N). Must be convex quadratic.",
  initial: "`initial expr`: a cost term evaluated once, at the first stage (an unlabelled leading term is initial too).",
  stage: "`stage expr`: a cost summed over the stages k = 0..N-1.",
  terminal: "`terminal`: a cost or constraint on the last state x_N.",
  subject: "`subject to constraints`: affine constraints, possibly `soft`, with a stage range `for k in a..b`.",
  to: "`subject to`: starts the constraints.",
  soft: "`soft a <= e <= b ... penalty linear w quadratic q`: a constraint relaxed with nonnegative slacks, penalized in the cost.",
  for: "`for k in a..b`: the stages a constraint applies to (inclusive; `N` is the horizon).",
  in: "`in [lb, ub]`: box bounds of a declaration; `for k in a..b`: a stage range.",
  penalty: "`penalty linear w quadratic q`: slack penalty weights of a soft constraint.",
  linear: "`penalty linear w`: weight of sum(slack).",
  quadratic: "`penalty quadratic q`: weight of sumsq(slack).",
  cost: "`cost expr`: the plant's cost per step, at the pre-step state and the applied input.",
  reward: "`reward expr`: the plant's reward per step (a negated cost).",
  episode: "`episode T`: episode length in steps.",
  algorithm: "`algorithm name { settings }`: the learning algorithm (q_learning, dpg, ...) and its settings.",
  episodes: "`episodes n`: number of training episodes.",
  steps: "`steps n`: number of steps per episode.",
  seed: "`seed n`: seed of every random number generator of the run (reproducible).",
  optimizer: "`optimizer newton(lr = ...) | gd(lr = ..., momentum = ...) | adam(lr = ...)`: the parameter update rule.",
  hessian: "Training: `hessian approximate | exact | none`, second-order information of the Q-learning update. In `solver sqp(hessian = gauss_newton|exact)`: the Hessian of the QP subproblems.",
  update: "`update every n steps`: update frequency.",
  replay: "`replay size n sample m`: experience replay buffer.",
  exploration: "`exploration ...`: exploration strategy (epsilon-greedy, Ornstein-Uhlenbeck, additive).",
  N: "`N`: the horizon length.",
  k: "`k`: the stage index in stage costs, stage ranges and penalties.",
  inf: "`inf`: infinity (an absent bound).",
};

export const blockKeywords: Readonly<Record<BlockContext, readonly string[]>> = {
  top: ["const", "controller", "plant", "train"],
  controller: [
    "state", "input", "param", "runtime", "disturbance", "const", "learnable", "let",
    "horizon", "discount", "timestep", "solver", "dynamics", "minimize", "subject to",
  ],
  plant: ["state", "input", "param", "disturbance", "const", "let", "timestep", "dynamics", "cost", "reward", "episode", "subject to"],
  // Training settings come from the checker's schema (lsp/training.ts).
  train: [],
  settings: [],
};

/** Words that can never be names (rename refuses them): the lexer's reserved and contextual words. */
export const reservedWords: ReadonlySet<string> = new Set<string>([...RESERVED_WORDS, ...CONTEXTUAL_WORDS]);

/** Words valid after a constraint (`for`, `penalty`) and inside expressions. */
export const expressionKeywords: readonly string[] = ["N", "k", "inf", "terminal", "stage"];
