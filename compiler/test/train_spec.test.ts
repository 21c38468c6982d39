// One training-settings model: a train block is interpreted once (compiler/lower/train.ts through
// runtime/learn/config.ts `interpretTrainSettings`, over the one table `defaultTrainSpec`), and the
// CLI's setup path (cli/train_setup.ts `prepare`), `compileToModule` and the emitted module's
// `trainConfig` give the same TrainSpec and the same controller, bit for bit.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { prepare } from "../../cli/train_setup.js";
import { defaultTrainSpec, interpretTrainSettings, type TrainSpec } from "../../runtime/learn/config.js";
import { controllerOptions, makeTrainer, TrainerSetupError, withOverrides } from "../../runtime/learn/factory.js";
import { mergeMetricsParts } from "../../runtime/run/merge.js";
import type { MpcController } from "../../runtime/mpc/controller.js";
import { BayesOpt } from "../../runtime/learn/bayesopt/bayesopt.js";
import { Dpg } from "../../runtime/learn/dpg.js";
import { PolicyEvaluation } from "../../runtime/learn/evaluate.js";
import { QLearning } from "../../runtime/learn/q_learning.js";
import { compile, compileToModule, verify } from "../index.js";
import { linearController, readRepo, repoRoot } from "./helpers.js";

const tmpDir = `${repoRoot}compiler/test/.tmp-trainspec-${process.pid}/`;
mkdirSync(tmpDir, { recursive: true });
afterAll(() => rmSync(tmpDir, { recursive: true, force: true }));

/** Every example with a train block. */
const examples = readdirSync(`${repoRoot}examples`, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => readdirSync(`${repoRoot}examples/${d.name}`).filter((f) => f.endsWith(".mpcrl")).map((f) => `examples/${d.name}/${f}`))
  .filter((p) => /^train\s/m.test(readRepo(p)))
  .sort();

interface Emitted {
  readonly trainConfig: TrainSpec;
  createController(): MpcController;
}

let counter = 0;
async function emittedModule(source: string, name: string): Promise<Emitted> {
  const r = compile(source, { fileName: `${name}.mpcrl` });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const f = `${tmpDir}${name}_${counter++}.ts`;
  writeFileSync(f, r.code!);
  return (await import(f)) as Emitted;
}

async function cliSetup(source: string, name: string) {
  const f = `${tmpDir}${name}_${counter++}.mpcrl`;
  writeFileSync(f, source);
  return prepare(f, {});
}

const priv = (c: MpcController): { firstInputBounds: string; fallbackInput?: Float64Array } => c as unknown as { firstInputBounds: string; fallbackInput?: Float64Array };

/** Bit-identical controllers: theta0, the template's patterns and data at theta0, and the settings. */
function expectSameController(a: MpcController, b: MpcController): void {
  const ta = a.template;
  const tb = b.template;
  expect(Array.from(a.getTheta())).toStrictEqual(Array.from(b.getTheta()));
  expect(Array.from(ta.theta0)).toStrictEqual(Array.from(tb.theta0));
  for (const k of ["x0Rows", "u0Rows", "jacRow", "jacCol"] as const) expect(Array.from(ta[k])).toStrictEqual(Array.from(tb[k]));
  expect(JSON.stringify(ta.P)).toBe(JSON.stringify(tb.P));
  expect(JSON.stringify(ta.A)).toBe(JSON.stringify(tb.A));
  expect([ta.n, ta.m, ta.nTheta, ta.nRuntime, ta.horizon, ta.discount]).toStrictEqual([tb.n, tb.m, tb.nTheta, tb.nRuntime, tb.horizon, tb.discount]);
  const rt = new Float64Array(ta.nRuntime);
  const da = Float64Array.from(a.currentData());
  const db = Float64Array.from(b.currentData());
  ta.fill(ta.theta0, rt, da);
  tb.fill(tb.theta0, rt, db);
  expect(Array.from(da)).toStrictEqual(Array.from(db));
  const ja = new Float64Array(ta.jacRow.length);
  const jb = new Float64Array(tb.jacRow.length);
  ta.jacValues(ta.theta0, rt, ja);
  tb.jacValues(tb.theta0, rt, jb);
  expect(Array.from(ja)).toStrictEqual(Array.from(jb));
  expect(priv(a).firstInputBounds).toBe(priv(b).firstInputBounds);
  expect(priv(a).fallbackInput && Array.from(priv(a).fallbackInput!)).toStrictEqual(priv(b).fallbackInput && Array.from(priv(b).fallbackInput!));
}

describe("one TrainSpec: CLI, compileToModule and the emitted module", () => {
  it("covers the examples with a train block", () => {
    expect(examples.length).toBeGreaterThanOrEqual(9);
  });

  it.each(examples)("%s: same TrainSpec and the same controller through all three paths", async (path) => {
    const source = readRepo(path);
    const name = path.split("/").pop()!.replace(".mpcrl", "");
    const compiled = compileToModule(source, { fileName: path });
    const live = compiled.module ?? compiled.nlpModule!;
    const cli = await prepare(repoRoot + path, {});
    const mod = await emittedModule(source, name);
    expect(live.trainConfig).toStrictEqual(mod.trainConfig);
    expect(cli.spec).toStrictEqual(live.trainConfig);
    // the spec's algorithm and every setting it gives, not the defaults
    expect(live.trainConfig.algorithm).toBe(/algorithm (\w+)/.exec(source)![1]);
    const steps = /^\s*steps (\d+)/m.exec(source);
    expect(live.trainConfig.steps).toBe(steps ? Number(steps[1]) : live.plant!.episode);
    expect(live.trainConfig.seed).toBe(Number(/^\s*seed (\d+)/m.exec(source)![1]));
    if (live.kind === "nlp") {
      // a nonlinear controller: the same parameters and the same first input at the plant's state
      const controllers = [cli.createController(), live.createController(), mod.createController()];
      const s0 = new Float64Array(live.ir.nx).fill(0.1);
      const acts = controllers.map((c) => c.act(s0));
      for (const c of controllers) expect(Array.from(c.getTheta())).toStrictEqual(Array.from(controllers[0].getTheta()));
      for (const a of acts) expect(Array.from(a.u)).toStrictEqual(Array.from(acts[0].u));
      return;
    }
    const c = linearController(cli.createController());
    expectSameController(c, live.createController());
    expectSameController(c, mod.createController());
    expectSameController(c, live.createController(controllerOptions(live.trainConfig)));
  });

  it("the run's flags override the spec's episodes, steps and seed only", async () => {
    const path = "examples/rate_tracking/rate_tracking.mpcrl";
    const live = compileToModule(readRepo(path)).module!;
    const cli = await prepare(repoRoot + path, { episodes: "3", steps: "7", seed: "5" });
    expect(cli.spec).toStrictEqual(withOverrides(live.trainConfig, { episodes: 3, steps: 7, seed: 5 }));
    expect(cli.spec).toStrictEqual({ ...live.trainConfig, episodes: 3, steps: 7, seed: 5 });
  });
});

describe("one table of defaults", () => {
  it("no settings: exactly defaultTrainSpec; the plant's episode gives the steps unless `steps` is set", () => {
    expect(interpretTrainSettings([])).toStrictEqual(defaultTrainSpec);
    expect(interpretTrainSettings([], { plantEpisode: 250 })).toStrictEqual({ ...defaultTrainSpec, steps: 250 });
    expect(interpretTrainSettings([{ key: "steps", args: [{ kind: "number", value: 9 }] }], { plantEpisode: 250 })).toStrictEqual({ ...defaultTrainSpec, steps: 9 });
  });

  // The smallest train block the checker accepts (q_learning needs an optimizer; newton(lr = 5e-2)
  // is the default one): everything else comes from the table, the steps from the plant.
  const minimal = readRepo("examples/double_integrator/double_integrator.mpcrl").replace(/^train[\s\S]*?^}/m, "train DoubleIntegrator on Cart {\n  algorithm q_learning { optimizer newton(lr = 5e-2) }\n}");

  it("a minimal train block gives defaultTrainSpec with the spec-derived steps, through all three paths", async () => {
    const expected: TrainSpec = { ...defaultTrainSpec, steps: 200 };
    const live = compileToModule(minimal).module!;
    expect(live.trainConfig).toStrictEqual(expected);
    expect((await emittedModule(minimal, "minimal")).trainConfig).toStrictEqual(expected);
    expect((await cliSetup(minimal, "minimal")).spec).toStrictEqual(expected);
  });

  it("without a train block the module's trainConfig is the table (with the plant's steps when it declares an episode)", async () => {
    const noTrain = readRepo("examples/quadrotor/quadrotor.mpcrl");
    expect(/^train\s/m.test(noTrain)).toBe(false);
    expect(compileToModule(noTrain).module!.trainConfig).toStrictEqual(defaultTrainSpec);
    expect((await emittedModule(noTrain, "notrain")).trainConfig).toStrictEqual(defaultTrainSpec);
    const plantOnly = readRepo("examples/double_integrator/double_integrator.mpcrl").replace(/^train[\s\S]*?^}/m, "");
    expect(compileToModule(plantOnly).module!.trainConfig).toStrictEqual({ ...defaultTrainSpec, steps: 200 });
    expect((await cliSetup(plantOnly, "plantonly")).spec).toStrictEqual({ ...defaultTrainSpec, steps: 200 });
  });

  it("the emitted trainConfig names every field of the table", async () => {
    const text = compile(minimal).code!;
    const literal = text.slice(text.indexOf("export const trainConfig: TrainSpec = {"));
    for (const k of Object.keys(defaultTrainSpec)) expect(literal).toMatch(new RegExp(`\\n  ${k}: `));
  });
});

describe("the interpretation is the compiler's verdict", () => {
  const src = readRepo("examples/gros_zanon/linear_mpc.mpcrl");

  it("a setting the interpreter rejects is an error of `check` and `compile`, at the setting", () => {
    const bad = src.replace("replay size 1 sample 1", "replay size 1 sample 5");
    const d = verify(bad).diagnostics.filter((x) => x.severity === "error");
    expect(d.map((x) => x.code)).toEqual(["MPC4601"]);
    expect(d[0].message).toMatch(/sample cannot be larger than the size/);
    expect(bad.slice(d[0].span.start, d[0].span.end)).toBe("replay size 1 sample 5");
    const r = compileToModule(bad);
    expect(r.module).toBeUndefined();
    expect(r.diagnostics.map((x) => x.code)).toContain("MPC4601");
  });

  it("`identify`: check says what it will fit and tighten; a controller whose model is not learnable or not linear is an error at the setting", () => {
    const safe = readRepo("examples/gros_zanon/linear_mpc_safe.mpcrl");
    const ok = verify(safe);
    expect(ok.diagnostics.filter((x) => x.severity === "error")).toEqual([]);
    expect(ok.notes).toEqual([
      "LinearMpc: `identify 20`: after 20 steps, b, A, B (entering the one-step model) are fitted to the observed transitions by least squares; " +
        "the back-offs x_lb[0] (lower bound of x[0]), x_lb[1] (lower bound of x[1]), x_ub[0] (upper bound of x[0]), x_ub[1] (upper bound of x[1]) " +
        "are then kept at least as large as the one-step prediction error that remains, re-derived every 20 steps",
    ]);
    // the model fixed: nothing to identify
    const fixedModel = safe.replace("dynamics x+ = A*x + B*u + b", "dynamics x+ = A0*x + B0*u");
    const d1 = verify(fixedModel).diagnostics.filter((x) => x.severity === "error");
    expect(d1.map((x) => x.code)).toEqual(["MPC4601"]);
    expect(d1[0].message).toMatch(/no learnable parameter of `LinearMpc` enters its dynamics/);
    expect(fixedModel.slice(d1[0].span.start, d1[0].span.end)).toBe("identify 20");
    // a nonlinear controller: the trainer could not read its model off a QP
    const cartpole = readRepo("examples/cartpole/cartpole.mpcrl");
    const withIdentify = cartpole.replace(/algorithm q_learning \{\n/, "algorithm q_learning {\n    identify 20\n");
    expect(withIdentify).not.toBe(cartpole);
    const d2 = verify(withIdentify).diagnostics.filter((x) => x.severity === "error");
    expect(d2.map((x) => x.code)).toEqual(["MPC4601"]);
    expect(d2[0].message).toMatch(/`identify` needs a linear controller/);
  });

  it("`fallback safe(u)` reaches the controllers of all three paths", async () => {
    const spec = readRepo("examples/double_integrator/double_integrator.mpcrl").replace("  seed 3\n", "  seed 3\n  fallback safe([0.5])\n");
    const live = compileToModule(spec).module!;
    expect(live.trainConfig.fallback).toStrictEqual({ kind: "safe", input: [0.5] });
    const cli = await cliSetup(spec, "fallback");
    expect(cli.spec).toStrictEqual(live.trainConfig);
    expect(Array.from(priv(linearController(cli.createController())).fallbackInput!)).toStrictEqual([0.5]);
    expect((await emittedModule(spec, "fallback")).trainConfig).toStrictEqual(live.trainConfig);
  });
});

describe("the trainer factory (runtime/learn/factory.ts)", () => {
  const build = (path: string, learn = true) => {
    const live = compileToModule(readRepo(path)).module!;
    const spec = live.trainConfig;
    const mpc = live.createController(controllerOptions(spec));
    const ir = live.ir;
    return makeTrainer(spec, mpc, live.createPlant!(), { seed: spec.seed, learn, inputLower: ir.u0Lower, inputUpper: ir.u0Upper });
  };

  it("builds the spec's algorithm from the TrainSpec alone", () => {
    expect(build("examples/gros_zanon/linear_mpc.mpcrl")).toBeInstanceOf(QLearning);
    expect(build("examples/gros_zanon/linear_mpc_dpg.mpcrl")).toBeInstanceOf(Dpg);
    expect(build("examples/quadrotor/quadrotor_constrained.mpcrl")).toBeInstanceOf(BayesOpt);
    expect(build("examples/gros_zanon/linear_mpc.mpcrl", false)).toBeInstanceOf(PolicyEvaluation);
  });

  it("gradient exploration without the u0_gradient runtime value is a TrainerSetupError", () => {
    const live = compileToModule(readRepo("examples/gros_zanon/linear_mpc.mpcrl")).module!;
    const spec: TrainSpec = { ...live.trainConfig, exploration: { kind: "gradient", scale: 0.1 } };
    const mpc = live.createController();
    expect(() => makeTrainer(spec, mpc, live.createPlant!(), { seed: 0, learn: true, inputLower: live.ir.u0Lower, inputUpper: live.ir.u0Upper })).toThrow(TrainerSetupError);
  });
});

describe("gradient exploration (runtime/learn/rollout.ts)", () => {
  it("perturbs only the explored action's solve: Q(s, a) and V see u0_gradient = 0, never the last perturbation", () => {
    const src = readRepo("examples/gros_zanon/linear_mpc.mpcrl")
      .replace("  dynamics x+ = A*x + B*u + b", "  runtime u0_gradient[1] = [0]\n  dynamics x+ = A*x + B*u + b")
      .replace("  minimize V0", "  minimize V0 + initial u0_gradient'*u");
    const live = compileToModule(src).module!;
    const spec: TrainSpec = { ...live.trainConfig, exploration: { kind: "gradient", scale: 0.1 } };
    const mpc = live.createController();
    const seen: { call: string; g: number[] | undefined }[] = [];
    const spy = new Proxy(mpc, {
      get(target, prop) {
        const v = Reflect.get(target, prop) as unknown;
        if (typeof v !== "function") return v;
        const f = v as (...a: unknown[]) => unknown;
        if (prop === "gradQvalue" || prop === "act") {
          return (...a: unknown[]) => {
            const rt = a[a.length - 1] as Record<string, ArrayLike<number>> | undefined;
            seen.push({ call: String(prop), g: rt?.u0_gradient === undefined ? undefined : Array.from(rt.u0_gradient) });
            return f.apply(target, a);
          };
        }
        return f.bind(target);
      },
    });
    const trainer = makeTrainer(spec, spy, live.createPlant!(), { seed: 3, learn: true, inputLower: live.ir.u0Lower, inputUpper: live.ir.u0Upper });
    trainer.beginEpisode(0);
    for (let k = 0; k < 5; k++) trainer.step();
    const q = seen.filter((x) => x.call === "gradQvalue");
    expect(q.length).toBeGreaterThan(0);
    for (const x of q) expect(x.g).toEqual([0]);
    // the explored solves did get a perturbation
    expect(seen.some((x) => x.call === "act" && x.g !== undefined && x.g[0] !== 0)).toBe(true);
  });
});

describe("run-folder merging (runtime/run/merge.ts)", () => {
  it("renumbers the step lines of episode ranges in order and keeps the episode lines", () => {
    const step = (t: number, episode: number) => JSON.stringify({ type: "step", t, episode, step: t, cost: 1 });
    const part = (episode: number) => ({
      jsonl: [step(0, episode), step(1, episode), JSON.stringify({ type: "episode", episode })].join("\n") + "\n",
      csv: `t,episode\n0,${episode}\n1,${episode}\n`,
    });
    const m = mergeMetricsParts([part(0), part(1)]);
    const lines = m.jsonl.trim().split("\n").map((l) => JSON.parse(l) as { type: string; t?: number; episode: number });
    expect(lines.filter((l) => l.type === "step").map((l) => l.t)).toStrictEqual([0, 1, 2, 3]);
    expect(lines.filter((l) => l.type === "episode").map((l) => l.episode)).toStrictEqual([0, 1]);
    expect(m.csv).toBe("t,episode\n0,0\n1,0\n2,1\n3,1\n");
  });
});
