// prev(a) in a plant block: the input applied at the previous step (0 at the first step of each
// episode), in the dynamics (an input delay), the cost and the counted constraints. The in-process
// plant (plantFromIr) against values computed by hand, the emitted plant against the in-process
// one, and the places where it is refused with a diagnostic.

import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { compile, compileToModule } from "../index.js";
import type { Plant } from "../../runtime/plants/types.js";
import { repoRoot } from "./helpers.js";

const tmpDir = `${repoRoot}compiler/test/.tmp-plant-prev-${process.pid}/`;
mkdirSync(tmpDir, { recursive: true });
afterAll(() => rmSync(tmpDir, { recursive: true, force: true }));

const SPEC = `
controller C {
  state x[1]
  input u[1] in [-5, 5]
  horizon 5
  dynamics x+ = 0.9*x + u
  minimize stage x'*x + u'*u
}
plant P {
  state s[1] = [1]
  input a[1]
  %DYN%
  cost s'*s + 0.5*prev(a)'*prev(a)
  episode 3
  subject to
    a - prev(a) <= 1.5
}`;

function plantOf(source: string): Plant {
  const r = compileToModule(source, { fileName: "p.mpcrl" });
  const create = r.module?.createPlant;
  if (create === undefined) throw new Error(r.diagnostics.map((d) => `${d.code}: ${d.message}`).join("\n"));
  return create();
}

describe("prev(a) in a plant", () => {
  it("is the input applied at the previous step, 0 at each episode's first (dynamics, cost, constraints)", () => {
    const p = plantOf(SPEC.replace("%DYN%", "dynamics s+ = 0.9*s + prev(a)"));
    for (const seed of [1, 2]) {
      expect(Array.from(p.reset(seed))).toEqual([1]);
      // s_{k+1} = 0.9 s_k + a_{k-1}; cost s_k^2 + 0.5 a_{k-1}^2; violated when a_k - a_{k-1} > 1.5
      const a = [1, 3, 2];
      let s = 1;
      let prev = 0;
      for (const ak of a) {
        const r = p.step([ak]);
        const expected = 0.9 * s + prev;
        expect(r.observation[0]).toBeCloseTo(expected, 14);
        expect(r.cost).toBeCloseTo(s * s + 0.5 * prev * prev, 14);
        expect(r.info.violations).toBe(ak - prev > 1.5 ? 1 : 0);
        s = expected;
        prev = ak;
      }
    }
  });

  it("holds the previous input over an RK4 interval, and the emitted plant computes the in-process plant's numbers", async () => {
    const source = SPEC.replace("%DYN%", "timestep 0.1\n  dynamics der(s) = -s + prev(a) using rk4");
    const live = plantOf(source);
    const r = compile(source, { fileName: "p.mpcrl" });
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const f = `${tmpDir}plant.ts`;
    writeFileSync(f, r.code!);
    const emitted = ((await import(f)) as { createPlant: () => Plant }).createPlant();
    // RK4 of s' = -s + c over h = 0.1 is s e^{-h} + c (1 - e^{-h}) to O(h^5)
    expect(live.reset(3)).toEqual(emitted.reset(3));
    let s = 1;
    let prev = 0;
    for (const ak of [0.5, -1, 2, 0.25]) {
      const a = live.step([ak]);
      const b = emitted.step([ak]);
      expect(b.observation).toEqual(a.observation);
      expect(b.cost).toBe(a.cost);
      expect(b.info.violations).toBe(a.info.violations);
      const exact = s * Math.exp(-0.1) + prev * (1 - Math.exp(-0.1));
      expect(a.observation[0]).toBeCloseTo(exact, 6);
      s = a.observation[0];
      prev = ak;
    }
  });

  it("is refused with `using zoh` and outside the dynamics, cost and constraints", () => {
    const zoh = compileToModule(SPEC.replace("%DYN%", "timestep 0.1\n  dynamics der(s) = -s + prev(a) using zoh"), { fileName: "p.mpcrl" });
    expect(zoh.module).toBeUndefined();
    expect(zoh.diagnostics.map((d) => d.message).join("\n")).toMatch(/`prev\(\)` in continuous plant dynamics `using zoh`/);
    const init = compileToModule(SPEC.replace("%DYN%", "dynamics s+ = 0.9*s + a").replace("state s[1] = [1]", "state s[1] = prev(a)"), { fileName: "p.mpcrl" });
    expect(init.module?.createPlant).toBeUndefined();
    expect(init.diagnostics.map((d) => d.code)).toContain("MPC2012");
  });
});
