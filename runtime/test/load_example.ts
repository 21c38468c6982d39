// The shipped examples compiled in process, for the runtime's red-team tests (api_redteam,
// extreme_values): a linear MPC's module or a nonlinear one's.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { compileToModule, type CompiledModule, type NlpModule } from "../../compiler/index.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** The module of the spec at `path` (relative to the repository), or an Error when it does not compile. */
export function loadExample(path: string): CompiledModule | NlpModule {
  const r = compileToModule(readFileSync(root + path, "utf8"), { fileName: path });
  const m = r.module ?? r.nlpModule;
  if (m === undefined) throw new Error(`${path} did not compile`);
  return m;
}

/** A compiled linear controller, as an app gets it. */
export type LinearController = ReturnType<CompiledModule["createController"]>;

/** The six entry points of a linear controller that take a state (Q's first input 0.1), for the
 *  red-team tests that call each of them the same way. */
export const ENTRY_POINTS: readonly [string, (c: LinearController, s: number[]) => { status: string; message?: string; iterations?: number }][] = [
  ["act", (c, s) => c.act(s)],
  ["value", (c, s) => c.value(s)],
  ["qvalue", (c, s) => c.qvalue(s, [0.1])],
  ["gradValue", (c, s) => c.gradValue(s)],
  ["gradQvalue", (c, s) => c.gradQvalue(s, [0.1])],
  ["policySensitivity", (c, s) => c.policySensitivity(s)],
];
