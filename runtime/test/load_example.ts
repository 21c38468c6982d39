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
