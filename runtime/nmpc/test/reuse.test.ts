// The SQP's reuse of its last evaluation (sqp.ts `linearize()` at the line search's accepted trial
// point takes that evaluation's model outputs instead of evaluating again): a closed loop with the
// reuse gives bit for bit the iterates of one that evaluates afresh at every linearization.

import { describe, expect, it } from "vitest";
import { MultipleShootingSqp, type SqpOptions } from "../sqp.js";
import { cartpoleModel, cartpolePlant } from "./models.js";

/** The same SQP, forced to evaluate again at every linearization. */
class FreshSqp extends MultipleShootingSqp {
  override linearize(): boolean {
    (this as unknown as { evalValid: boolean }).evalValid = false;
    return super.linearize();
  }
}

/** Counts the SQP's model evaluations (its private evaluate()). */
function countEvaluations(sqp: MultipleShootingSqp): { n: number } {
  const counter = { n: 0 };
  const target = sqp as unknown as { evaluate: (z: Float64Array, linearize: boolean) => number };
  const evaluate = target.evaluate.bind(sqp);
  target.evaluate = (z, linearize) => {
    counter.n++;
    return evaluate(z, linearize);
  };
  return counter;
}

function loop(sqp: MultipleShootingSqp, model: ReturnType<typeof cartpoleModel>, theta0: number, steps: number) {
  sqp.theta.set(model.theta0);
  const plant = cartpolePlant();
  let x: Float64Array = Float64Array.of(0, 0, theta0, 0);
  const trace: number[] = [];
  sqp.coldStart(x);
  for (let k = 0; k < steps; k++) {
    sqp.setInitialState(x);
    const st = sqp.solve();
    trace.push(st.iterations, st.residual, sqp.objective);
    const u = Float64Array.of(sqp.z[sqp.uOff(0)]);
    trace.push(u[0]);
    x = plant(x, u);
    sqp.shift();
  }
  return trace;
}

describe("SQP: linearize() reuses the accepted trial point's evaluation", () => {
  const cases = [
    ["swing-up from hanging down, Gauss-Newton", {}, Math.PI],
    ["balance from 0.2 rad, exact Hessian", { hessian: "exact" }, 0.2],
  ] as const;
  for (const [name, options, theta0] of cases) {
    it(`gives the iterates of fresh evaluations bit for bit, with fewer evaluations (cart-pole ${name}, 20 steps)`, () => {
      const model = cartpoleModel();
      const opts: SqpOptions = options;
      const a = new MultipleShootingSqp(model, opts);
      const b = new FreshSqp(model, opts);
      const ca = countEvaluations(a);
      const cb = countEvaluations(b);
      const reused = loop(a, model, theta0, 20);
      const fresh = loop(b, model, theta0, 20);
      expect(reused.length).toBe(fresh.length);
      for (let i = 0; i < reused.length; i++) expect(Object.is(reused[i], fresh[i])).toBe(true);
      // every accepted trial point saves one evaluation
      expect(ca.n).toBeLessThan(cb.n);
    });
  }
});
