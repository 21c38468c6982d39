import fc from "fast-check";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Rng, RngStreams } from "../../rng.js";
import { parseDisturbance, RandomDisturbance, RecordedDisturbance } from "../../plants/disturbance.js";
import { FunctionPlant } from "../../plants/function_plant.js";
import { LinearPlant } from "../../plants/linear.js";
import { loadPlantModule, PlantRuntimeError } from "../../plants/module.js";

const tmp = mkdtempSync(join(tmpdir(), "mpcrl-plants-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("seeded random streams", () => {
  it("are reproducible, independent by name, and uniform/normal in distribution", () => {
    const a = new Rng(42, "noise");
    const b = new Rng(42, "noise");
    const c = new Rng(42, "exploration");
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
    // moments of 100k draws
    const r = new Rng(7, "moments");
    let su = 0;
    let sn = 0;
    let sn2 = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      su += r.next();
      const z = r.normal();
      sn += z;
      sn2 += z * z;
    }
    expect(Math.abs(su / n - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(sn / n)).toBeLessThan(0.01);
    expect(Math.abs(sn2 / n - 1)).toBeLessThan(0.02);
  });

  it("adding a consumer does not shift another stream", () => {
    const s1 = new RngStreams(3);
    const x1 = [s1.get("noise").next(), s1.get("noise").next()];
    const s2 = new RngStreams(3);
    s2.get("exploration").next();
    s2.get("replay").next();
    const x2 = [s2.get("noise").next(), s2.get("noise").next()];
    expect(x2).toEqual(x1);
  });

  it("restores its state exactly and stays in [0, 1)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.string(), (seed, name) => {
        const r = new Rng(seed, name);
        r.next();
        const copy = Rng.fromState(r.getState());
        for (let i = 0; i < 20; i++) {
          const v = r.next();
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThan(1);
          expect(copy.next()).toBe(v);
        }
      }),
      { seed: 20261205 },
    );
  });
});

describe("plants", () => {
  it("LinearPlant computes the Gros & Zanon dynamics and cost by hand", () => {
    const p = new LinearPlant({
      A: [0.9, 0.35, 0, 1.1],
      B: [0.0813, 0.2],
      initialState: [0, 0.15],
      Q: [1, 0, 0, 1],
      R: [0.5],
      stateLower: [0, -1],
      stateUpper: [1, 1],
      penaltyLower: [50, 50],
      penaltyUpper: [50, 50],
      disturbance: new RecordedDisturbance([
        [-0.05, 0],
        [-0.02, 0],
      ]),
    });
    expect(Array.from(p.reset(1))).toEqual([0, 0.15]);
    const st = p.step([0.5]);
    expect(st.observation[0]).toBeCloseTo(0.35 * 0.15 + 0.0813 * 0.5 - 0.05, 15);
    expect(st.observation[1]).toBeCloseTo(1.1 * 0.15 + 0.2 * 0.5, 15);
    expect(st.cost).toBeCloseTo(0.5 * (0.15 * 0.15 + 0.5 * 0.25), 15);
    expect(st.info.violations).toBe(0);
    // the next pre-step state has s1 = 0.0432 > 0, fine; force a violation from a negative state
    const st2 = p.step([-1]);
    const s = st.observation;
    expect(st2.cost).toBeCloseTo(0.5 * (s[0] * s[0] + s[1] * s[1] + 0.5) + (s[0] < 0 ? 50 * -s[0] : 0), 14);
  });

  it("a seeded plant repeats its episode; a recorded disturbance past its end is an error", () => {
    const make = () =>
      new LinearPlant({ A: [1], B: [1], initialState: [0], Q: [1], R: [1], disturbance: new RandomDisturbance([{ kind: "uniform", low: -0.1, high: 0 }]) });
    const run = (p: LinearPlant) => {
      p.reset(9);
      return Array.from({ length: 10 }, () => p.step([0]).observation[0]);
    };
    const a = run(make());
    expect(run(make())).toEqual(a);
    expect(a.every((v, i) => i === 0 || v <= a[i - 1])).toBe(true);
    const rec = new RecordedDisturbance([[1]]);
    expect(() => rec.sample(1, new Rng(0), new Float64Array(1))).toThrow(/has 1 steps; step 2/);
  });

  it("parses recorded disturbances from JSON rows, scalars, anchor files and CSV", () => {
    const out = new Float64Array(2);
    parseDisturbance("[[1, 2], [3, 4]]", 2).sample(1, new Rng(0), out);
    expect(Array.from(out)).toEqual([3, 4]);
    parseDisturbance('{"noise_e": [-0.05, -0.02]}', 2).sample(0, new Rng(0), out);
    expect(Array.from(out)).toEqual([-0.05, 0]);
    parseDisturbance("e0,e1\n1,2\n5,6\n", 2).sample(1, new Rng(0), out);
    expect(Array.from(out)).toEqual([5, 6]);
    expect(() => parseDisturbance("[[1, 2, 3]]", 2)).toThrow(/3 entries/);
    expect(() => parseDisturbance('{"x": 1}', 2)).toThrow(/array of disturbance rows/);
  });

  it("refuses a recording for a plant without a disturbance, and broken JSON as JSON (not as an empty CSV)", () => {
    // size 0: a scalar row was widened to one entry and the run crashed mid-way ("offset is out of bounds")
    for (const text of ["[1, 2, 3]", "[[1], [2]]", "1\n2\n"]) expect(() => parseDisturbance(text, 0)).toThrow(/^the plant declares no disturbance, so there is nothing to replay/);
    expect(() => parseDisturbance("{bad", 2)).toThrow(/^not valid JSON: /);
    expect(() => parseDisturbance("  [[1, 2],", 2)).toThrow(/^not valid JSON: /);
    // CSV stays CSV; non-finite entries (1e400, a word) are refused by the recording
    expect(() => parseDisturbance("e0,e1\n1,x\n", 2)).toThrow(/row 1 has a non-finite entry/);
    expect(() => parseDisturbance("[[1e400, 0]]", 2)).toThrow(/row 1 has a non-finite entry/);
    expect(() => parseDisturbance("", 2)).toThrow(/is empty/);
  });

  it("FunctionPlant calls user functions with seeded streams", () => {
    const p = new FunctionPlant({
      nx: 1,
      nu: 1,
      initial: (rng) => [rng.uniform(-1, 1)],
      step: (s, a, _e, rng) => ({ next: [Math.sin(s[0]) + a[0] + 0.01 * rng.normal()], cost: s[0] * s[0], violations: s[0] > 0.5 ? 1 : 0 }),
      episodeLength: 3,
    });
    const s0 = p.reset(5)[0];
    expect(p.reset(5)[0]).toBe(s0);
    const st = p.step([0.1]);
    expect(st.cost).toBe(s0 * s0);
    p.step([0]);
    expect(p.step([0]).truncated).toBe(true);
    expect(() => p.step([1, 2])).toThrow(/expects 1 inputs/);
  });

  it("loads a TypeScript plant module and validates its answers", async () => {
    const good = join(tmp, "good_plant.ts");
    writeFileSync(
      good,
      `export function createPlant() {
         let s = 0;
         return { nx: 1, nu: 1,
           reset(seed: number) { s = seed % 3; return [s]; },
           step(a: ArrayLike<number>) { const c = s * s; s = 0.5 * s + a[0]; return { observation: [s], cost: c, terminated: false, truncated: false, info: { violations: 0 } }; } };
       }\n`,
    );
    const p = await loadPlantModule(good);
    expect(Array.from(p.reset(4))).toEqual([1]);
    const st = p.step([1]);
    expect(st.cost).toBe(1);
    expect(Array.from(st.observation)).toEqual([1.5]);
    const bad = join(tmp, "bad_plant.ts");
    writeFileSync(bad, `export default { nx: 2, nu: 1, reset() { return [0]; }, step() { return { observation: [0, 0], cost: 0 }; } };\n`);
    const pb = await loadPlantModule(bad);
    expect(() => pb.reset(0)).toThrow(/bad_plant\.ts: reset\(\) must return the state as an array of 2 numbers \(nx = 2\), got 1$/);
    // what the module throws or answers is a PlantRuntimeError naming the module and the call (the
    // CLI printed "internal error" for it)
    const throws = join(tmp, "throwing_plant.ts");
    writeFileSync(throws, `export default { nx: 1, nu: 1, reset() { return [0]; }, step() { throw new Error("step exploded"); } };\n`);
    const pt = await loadPlantModule(throws);
    expect(() => pt.step([0])).toThrow(PlantRuntimeError);
    expect(() => pt.step([0])).toThrow(/throwing_plant\.ts: step\(\) threw: step exploded$/);
    const odd = join(tmp, "odd_plant.ts");
    writeFileSync(odd, `export default { nx: 1, nu: 1, reset() { return 3; }, step() { return { observation: [0], cost: "x" }; } };\n`);
    const po = await loadPlantModule(odd);
    expect(() => po.reset(0)).toThrow(/odd_plant\.ts: reset\(\) must return the state as an array of 1 numbers, got number$/);
    expect(() => po.step([0])).toThrow(/odd_plant\.ts: step\(\) must return a number as cost, got string$/);
    const none = join(tmp, "none.ts");
    writeFileSync(none, "export const x = 1;\n");
    await expect(loadPlantModule(none)).rejects.toThrow(/createPlant/);
  });
});
