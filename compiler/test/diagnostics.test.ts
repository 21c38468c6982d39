// Golden rendered diagnostics of the compiler's own checks (UPDATE_GOLDEN=1 accepts new output).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderDiagnostics } from "../../language/index.js";
import { compile } from "../index.js";
import { repoRoot } from "./helpers.js";

const cases: Record<string, string> = {
  dlqr_unstabilizable: `controller C {
  state x[2]
  input u[1]
  horizon 3
  dynamics x+ = [[2, 0], [0, 0.5]]*x + [[0], [1]]*u
  minimize stage x'*x + u'*u + terminal quad(x, dlqr([[2, 0], [0, 0.5]], [[0], [1]], I, I))
}
`,
  infeasible_initial_state: `controller C {
  state x[1]
  input u[1] in [-0.1, 0.1]
  horizon 5
  dynamics x+ = 2*x + u
  minimize stage x'*x + u'*u
  subject to
    -1 <= x <= 1
}
plant P {
  state s[1] = [0.9]
  input a[1]
  dynamics s+ = 2*s + a
  cost s'*s
}
`,
  zoh_learnable: `controller C {
  state x[2]
  input u[1]
  horizon 2
  timestep 0.1
  learnable Ac[2,2] = [[0, 1], [0, 0]]
  dynamics der(x) = Ac*x + [[0], [1]]*u using zoh
  minimize stage x'*x + u'*u
}
`,
};

describe("compiler diagnostics (golden)", () => {
  it.each(Object.keys(cases))("%s", (name) => {
    const source = cases[name];
    const r = compile(source, { fileName: `${name}.mpcrl` });
    expect(r.code).toBeUndefined();
    const text = renderDiagnostics(source, r.diagnostics, `${name}.mpcrl`, { color: false }) + "\n";
    const golden = `${repoRoot}compiler/test/golden/diagnostics/${name}.txt`;
    if (process.env.UPDATE_GOLDEN === "1") {
      mkdirSync(`${repoRoot}compiler/test/golden/diagnostics`, { recursive: true });
      writeFileSync(golden, text);
    }
    if (!existsSync(golden)) throw new Error(`missing golden ${golden}: run with UPDATE_GOLDEN=1 to create it`);
    expect(text).toBe(readFileSync(golden, "utf8"));
  });
});
