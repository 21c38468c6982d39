// Readable results: parameters in their declared shapes (psd as P with its factor beside, read back
// in the new and the old flat format), the controller's effective state bounds, and a report with
// human labels, distinct colours and plots that fit the run's shape.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Dpg } from "../../learn/dpg.js";
import { QLearning } from "../../learn/q_learning.js";
import { QuadraticQ } from "../../learn/test/doubles.js";
import type { QpTemplate } from "../../mpc/template.js";
import type { ParamLayout } from "../../mpc/types.js";
import { RandomDisturbance } from "../../plants/disturbance.js";
import { LinearPlant } from "../../plants/linear.js";
import { humanize, renderReport } from "../../report/html.js";
import { seriesColors } from "../../report/svg.js";
import { controllerStateBounds } from "../controller_bounds.js";
import { runTraining, type RunSettings } from "../driver.js";
import { formatParamsJson, jsonToTheta, paramLayoutJson, thetaNames, thetaToJson } from "../params.js";

const root = mkdtempSync(join(tmpdir(), "mpcrl-readable-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const box = (n: number) => ({ lower: new Float64Array(n).fill(-Infinity), upper: new Float64Array(n).fill(Infinity) });
// theta: V0 | P (psd 2: L00 L10 L11) | L (factor 2) | Q (diag 3) | B (matrix 2x1) | x (vector 2)
const layout: ParamLayout[] = [
  { name: "V0", rows: 1, cols: 1, offset: 0, size: 1, structure: "scalar", ...box(1) },
  { name: "P", rows: 2, cols: 1, offset: 1, size: 3, structure: "psd", ...box(3) },
  { name: "L", rows: 2, cols: 2, offset: 4, size: 3, structure: "factor", ...box(3) },
  { name: "Q", rows: 3, cols: 3, offset: 7, size: 3, structure: "diag", ...box(3) },
  { name: "B", rows: 2, cols: 1, offset: 10, size: 2, structure: "matrix", ...box(2) },
  { name: "x", rows: 2, cols: 1, offset: 12, size: 2, structure: "vector", ...box(2) },
];
const theta = Float64Array.from([0.5, 2, 1, 3, 1, -0.5, 2, 1, 2, 3, 0.03, 0.25, 0, 0.1]);

describe("parameters in their declared shapes", () => {
  it("writes psd as the matrix P with its factor beside, factor as L, diag as its diagonal, matrices nested", () => {
    const json = thetaToJson(layout, theta);
    expect(json).toEqual({
      V0: 0.5,
      P: [
        [4, 2],
        [2, 10],
      ],
      "P.factor": [
        [2, 0],
        [1, 3],
      ],
      L: [
        [1, 0],
        [-0.5, 2],
      ],
      Q: [1, 2, 3],
      B: [[0.03], [0.25]],
      x: [0, 0.1],
    });
    expect(thetaNames(layout)).toEqual(["V0", "P.factor[0,0]", "P.factor[1,0]", "P.factor[1,1]", "L[0,0]", "L[1,0]", "L[1,1]", "Q[0]", "Q[1]", "Q[2]", "B[0,0]", "B[1,0]", "x[0]", "x[1]"]);
    expect(paramLayoutJson(layout)[1]).toMatchObject({ name: "P", structure: "psd", shape: [2, 2], offset: 1, size: 3, lower: [null, null, null] });
    // the file: one matrix row per line, and still JSON
    const text = formatParamsJson(json);
    expect(text).toContain('"P": [\n    [4,2],\n    [2,10]\n  ]');
    expect(JSON.parse(text)).toEqual(json);
  });

  it("reads the new format back bit for bit, and the old flat one", () => {
    const base = new Float64Array(theta.length);
    expect(Array.from(jsonToTheta(layout, thetaToJson(layout, theta), base))).toEqual(Array.from(theta));
    expect(Array.from(jsonToTheta(layout, JSON.parse(formatParamsJson(thetaToJson(layout, theta))), base))).toEqual(Array.from(theta));
    // the old format: every parameter as its raw theta entries
    const old = { V0: 0.5, P: [2, 1, 3], L: [1, -0.5, 2], Q: [1, 2, 3], B: [0.03, 0.25], x: [0, 0.1] };
    expect(Array.from(jsonToTheta(layout, old, base))).toEqual(Array.from(theta));
    // diag also as the full diagonal matrix
    expect(Array.from(jsonToTheta(layout, { Q: [[1, 0, 0], [0, 2, 0], [0, 0, 3]] }, base).subarray(7, 10))).toEqual([1, 2, 3]);
  });

  it("reads P alone by its Cholesky factor and refuses inconsistent or invalid values", () => {
    const base = Float64Array.from(theta);
    const th = jsonToTheta(layout, { P: [[9, 3], [3, 5]] }, base);
    expect([th[1], th[2], th[3]]).toEqual([3, 1, 2]);
    const semidefinite = jsonToTheta(layout, { P: [[1, 1], [1, 1]] }, base);
    expect([semidefinite[1], semidefinite[2], semidefinite[3]]).toEqual([1, 1, 0]);
    expect(() => jsonToTheta(layout, { P: [[4, 2], [2, 11]], "P.factor": [[2, 0], [1, 3]] }, base)).toThrow(/`P` and `P.factor` disagree/);
    expect(() => jsonToTheta(layout, { P: [[1, 2], [2, 1]] }, base)).toThrow(/`P` is not positive semidefinite/);
    expect(() => jsonToTheta(layout, { P: [[1, 2], [0, 1]] }, base)).toThrow(/`P` is not symmetric/);
    expect(() => jsonToTheta(layout, { L: [[1, 1], [0, 1]] }, base)).toThrow(/`L` must be lower-triangular/);
    expect(() => jsonToTheta(layout, { Q: [[1, 1, 0], [0, 2, 0], [0, 0, 3]] }, base)).toThrow(/`Q` is diagonal/);
    expect(() => jsonToTheta(layout, { B: [[1, 2]] }, base)).toThrow(/`B` needs a 2x1 matrix/);
    expect(() => jsonToTheta(layout, { "L.factor": [[1, 0], [0, 1]] }, base)).toThrow(/unknown parameter `L.factor`/);
  });
});

describe("the controller's effective state bounds", () => {
  // nx = 1, nu = 1, N = 2; z = [x0 x1 x2 u0 u1 s]
  // rows: 0 x0 pin, 1-2 dynamics, 3 u0, 4 -2 x1 - s <= 2 theta0 - 2, 5 x1 <= 3 + theta1, 6 x2 <= 1e30 (unbounded), 7 s >= 0
  const A = { rows: 8, cols: 6, colPtr: Int32Array.from([0, 2, 6, 8, 10, 11, 13]), rowIdx: Int32Array.from([0, 1, 1, 2, 4, 5, 2, 6, 1, 3, 2, 4, 7]) };
  const t = {
    nx: 1, nu: 1, horizon: 2, n: 6, m: 8, stateOffset: 0, inputOffset: 3, slackOffset: 5, nSlack: 1,
    x0Rows: Int32Array.from([0]), u0Rows: Int32Array.from([3]), runtime: [], nRuntime: 0,
    P: { rows: 6, cols: 6, colPtr: new Int32Array(7), rowIdx: new Int32Array(0) }, A,
    fill(th: Float64Array, _rt: Float64Array, out: Float64Array) {
      // P (0 values) | q (6) | A values (13) | l (8) | u (8) | c
      out.fill(0);
      const a = 6;
      out.set([1, -1, 1, -1, -2, 1, 1, 1, -1, 1, -1, -1, 1], a);
      const l = a + 13;
      const u = l + 8;
      out.set([0, 0, 0, -1, -Infinity, -Infinity, -Infinity, 0], l);
      out.set([0, 0, 0, 1, 2 * th[0] - 2, 3 + th[1], 1e30, Infinity], u);
    },
  } as unknown as QpTemplate;

  it("reads the bounds on x_1 off the single-state rows, with the slack left out and the sign of the coefficient", () => {
    const b = controllerStateBounds(t, [0.25, 0.5]);
    expect(b).toEqual({ stage: 1, lower: [0.75], upper: [3.5] });
  });
});

function quadTrainer(): { q: QLearning; mpc: QuadraticQ } {
  const mpc = new QuadraticQ([0, 2, 0, 2], 0.9, -1, 1);
  const plant = new LinearPlant({
    A: [0.9], B: [0.5], initialState: [1], Q: [2], R: [2], stateLower: [-0.5], stateUpper: [0.5], penaltyLower: [10], penaltyUpper: [10],
    disturbance: new RandomDisturbance([{ kind: "normal", mean: 0, std: 0.1 }]),
  });
  const q = new QLearning(mpc, plant, {
    seed: 3, discount: 0.9, optimizer: { kind: "newton", lr: 0.05 }, replay: { size: 20, sample: 10 },
    exploration: { kind: "ornstein_uhlenbeck", mean: 0, sigma: 0.2, theta: 0.15 }, inputLower: [-1], inputUpper: [1],
  });
  return { q, mpc };
}

/** Visible text of the page (tags, styles, attributes removed). */
const visibleText = (html: string): string =>
  html.replace(/<style>[\s\S]*?<\/style>/g, "").replace(/<title>[\s\S]*?<\/title>/g, "").replace(/<[^>]+>/g, " ").replace(/&quot;/g, '"').replace(/&gt;/g, ">").replace(/&lt;/g, "<").replace(/&amp;/g, "&");

/** Colours of the legend entries of each plot. */
function legendColors(html: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of html.matchAll(/<svg id="([^"]+)"[\s\S]*?<\/svg>/g)) {
    const legend = [...m[0].matchAll(/<(?:line x1="[\d.]+" x2="[\d.]+" y1="[\d.]+" y2="[\d.]+" stroke|circle cx="[\d.]+" cy="[\d.]+" r="[\d.]+" fill)="(#[0-9a-f]+)"[^>]*\/><text[^>]*class="legend"/g)].map((x) => x[1]);
    out.set(m[1], legend);
  }
  return out;
}

describe("report", () => {
  const settings: RunSettings = {
    algorithm: "q_learning", episodes: 1, steps: 120, seed: 3, stateLower: [-0.5], stateUpper: [0.5], inputLower: [-1], inputUpper: [1],
    optimizer: { kind: "newton", lr: 0.05 }, firstInputBounds: "removed", trustRegion: "none", stateNames: ["x"], inputNames: ["u"],
  };

  it("for one episode: per-step cost with a moving average, no per-episode plot; human labels; distinct colours", async () => {
    const dir = join(root, "one");
    const { q, mpc } = quadTrainer();
    await runTraining({ dir, trainer: q, layout: mpc.params, settings });
    const html = renderReport(dir);
    expect(html).toContain('id="plot-cost-step"');
    expect(html).toContain("moving average");
    expect(html).not.toContain('id="plot-cost-episode"');
    const text = visibleText(html);
    for (const label of ["Total cost J (sum of stage costs)", "Wall time (s)", "Speed (steps/s)", "Mean |TD error|, first 100 steps", "Bounds on the first input in Q(s, a)"]) expect(text).toContain(label);
    // no raw camelCase keys (J, V0 and spec names aside) anywhere a reader sees
    expect(text.match(/\b[a-z]+[A-Z][A-Za-z0-9]*\b/g) ?? []).toEqual([]);
    for (const [id, colors] of legendColors(html)) {
      expect(colors.length, id).toBeGreaterThan(0);
      expect(new Set(colors).size, `${id}: ${colors.join(" ")}`).toBe(colors.length);
    }
    // params.json in declared shapes, readable by eye
    expect(readFileSync(join(dir, "params.json"), "utf8")).toMatch(/^\{\n {2}"V0": [-\d.e]+,\n {2}"H": \[/);
    const hist = readFileSync(join(dir, "params-history.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(Object.keys(hist[0])).toEqual(["t", "episode", "params", "theta"]);
  });

  it("for Bayesian optimization: its settings, not Q-learning's; the best cost and which evaluation gave it", () => {
    const dir = join(root, "bo");
    mkdirSync(dir, { recursive: true });
    const lines: string[] = [];
    const objectives = [9, 5, 7, 2.5, 4];
    let t = 0;
    objectives.forEach((o, e) => {
      for (let k = 0; k < 4; k++) {
        lines.push(JSON.stringify({ type: "step", t: t++, episode: e, step: k, state: [0.1 * k], action: [0], cost: o / 4, td_error: null, violations: 0, active_slacks: 0, solver_failure: false, fallback: false, updated: false, rejected: null }));
      }
      lines.push(JSON.stringify({ type: "episode", episode: e, steps: 4, cost: o, mean_abs_td_error: null, violation_steps: 0, objective: o, best: Math.min(...objectives.slice(0, e + 1)), initial_design: e < 2 ? 1 : 0, theta_0: 0.1 * e }));
    });
    writeFileSync(join(dir, "metrics.jsonl"), lines.join("\n") + "\n");
    writeFileSync(join(dir, "params-history.jsonl"), [{ t: -1, episode: 0, params: { x_lb: [0] }, theta: [0], state_lb: [0], state_ub: [1] }, { t: 15, episode: 3, params: { x_lb: [0.3] }, theta: [0.3], state_lb: [0.3], state_ub: [1] }].map((l) => JSON.stringify(l)).join("\n") + "\n");
    const summary = {
      status: "completed", steps: 20, episodes: 5, J: 27.5, updates: 0, rejectedUpdates: 0, bestObjective: 2.5, bestEpisode: 3,
      controllerStateBounds: { stage: 1, initial: { lower: [0], upper: [1] }, final: { lower: [0.3], upper: [1] } },
      params: { x_lb: [0.3] },
      settings: {
        algorithm: "bayesopt", episodes: 5, steps: 4, seed: 1, optimizer: { kind: "newton", lr: 0.05 }, hessian: "approximate", replay: { size: 1, sample: 1 },
        firstInputBounds: "kept", stateNames: ["x"], inputNames: ["u"], stateLower: [0], stateUpper: [1], thetaNames: ["x_lb[0]"],
        paramLayout: [{ name: "x_lb", structure: "vector", shape: [1, 1], offset: 0, size: 1, lower: [0], upper: [0.5] }],
      },
    };
    writeFileSync(join(dir, "summary.json"), JSON.stringify(summary));
    const html = renderReport(dir);
    const text = visibleText(html);
    expect(text).toContain("best evaluation cost (evaluation 4 of 5)");
    expect(text).toContain("Best evaluation (episode index, 0-based)");
    expect(text).toContain("Evaluations (one episode each)");
    expect(text).toContain("Initial design (initial parameters + Latin hypercube)");
    for (const q of ["Optimizer", "Hessian", "Replay", "first input", "Parameter updates"]) expect(text).not.toContain(q);
    expect(html).toContain('id="plot-bo-objective"');
    expect(html).toContain('id="plot-bo-param-0"');
    expect(html).not.toContain('id="plot-cost-episode"');
    // controller bounds beside the plant's: the learned back-off 0.3 on the lower bound
    expect(text).toContain("controller lower bound");
    expect(text).toContain("at the best parameters found");
    expect(text).toMatch(/\[0\.3, 1\]/);
  });

  it("for DPG: the policy-gradient norm and critic error of every update, logged and plotted", async () => {
    const dir = join(root, "dpg");
    const mpc = new QuadraticQ([0, 2, 0, 2], 0.9);
    const plant = new LinearPlant({ A: [0.9], B: [0.5], initialState: [1], Q: [2], R: [2], disturbance: new RandomDisturbance([{ kind: "normal", mean: 0, std: 0.05 }]) });
    const dpg = new Dpg(mpc, plant, {
      seed: 1, discount: 0.9, optimizer: { kind: "sgd", lr: 0.05 }, rolloutLength: 25, exploration: { kind: "additive", distribution: "normal", scale: 0.1 },
    });
    await runTraining({ dir, trainer: dpg, layout: mpc.params, settings: { ...settings, algorithm: "dpg", steps: 100 } });
    const updates = readFileSync(join(dir, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((r) => r.policy_gradient_norm !== undefined);
    expect(updates.map((u) => u.t)).toEqual([24, 49, 74, 99]);
    for (const u of updates) {
      expect(u.policy_gradient_norm).toBeGreaterThan(0);
      expect(u.critic_rmse).toBeGreaterThanOrEqual(0);
      expect(u.rollout_steps).toBe(25);
    }
    const html = renderReport(dir);
    expect(html).toContain('id="plot-dpg-gradient"');
    expect(html).toContain('id="plot-dpg-critic"');
    expect(visibleText(html)).toContain("policy-gradient norm: first -> last update");
    expect(visibleText(html)).not.toContain("Hessian");
  });

  it("helpers: humanize and colours", () => {
    expect(humanize("meanAbsTdFirst100")).toBe("Mean abs td first 100");
    const c = seriesColors([{ color: "#1f77b4" }, {}, {}, { color: "#ff7f0e" }]);
    expect(new Set(c).size).toBe(4);
  });
});
