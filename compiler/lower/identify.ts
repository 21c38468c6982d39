// What `identify n` (identification for control, runtime/learn/identify.ts) will fit and tighten,
// decided from the compiled QP before anything runs, so that `mpcrl check` states it and refuses a
// controller whose one-step model cannot be read off its QP (the trainer would refuse it later).

import type { Setting, TrainBlock } from "../../language/ast.js";
import type { Diagnostic } from "../../language/diagnostics.js";
import type { QpTemplate } from "../../runtime/mpc/template.js";
import { linearStructure } from "../../runtime/mpc/structure.js";
import { backoffParameters, modelParameters } from "../../runtime/learn/identify.js";
import { thetaName } from "../../runtime/learn/identify_guard.js";
import { CompilerCodes } from "./errors.js";

function findSetting(settings: readonly Setting[], key: string): Setting | undefined {
  for (const s of settings) {
    if (s.key.name === key) return s;
    const inner = s.block ? findSetting(s.block, key) : undefined;
    if (inner) return inner;
  }
  return undefined;
}

/** Names of theta entries, whole parameters where every entry is listed. */
function names(t: QpTemplate, indices: readonly number[]): string {
  const set = new Set(indices);
  const out: string[] = [];
  for (const p of t.params) {
    const mine = Array.from({ length: p.size }, (_, i) => p.offset + i).filter((j) => set.has(j));
    if (mine.length === 0) continue;
    if (mine.length === p.size) out.push(p.name);
    else out.push(...mine.map((j) => thetaName(t, j)));
  }
  return out.join(", ");
}

/**
 * For a controller trained with `identify n`: an error when the controller's one-step model cannot
 * be read off its QP or no learnable enters it, else a note saying which learnables the
 * identification fits and which are back-offs it will tighten.
 */
export function identifyVerdict(template: QpTemplate | undefined, block: TrainBlock, after: number, controller: string): { diagnostics: Diagnostic[]; notes: string[] } {
  const setting = findSetting(block.settings, "identify");
  const span = setting?.span ?? block.keywordSpan;
  const refuse = (message: string, help: string): { diagnostics: Diagnostic[]; notes: string[] } => ({
    diagnostics: [{ severity: "error", code: CompilerCodes.unsupported, message, span, help }],
    notes: [],
  });
  const st = template ? linearStructure(template) : undefined;
  if (!template || !st) {
    return refuse(
      `\`identify\` needs a linear controller whose dynamics give one equality row per state; \`${controller}\`'s one-step model cannot be read off its QP`,
      "write the dynamics as `x+ = A*x + B*u + c` (any learnable parameterization), or remove `identify`",
    );
  }
  const model = modelParameters(st, template.theta0);
  if (!model || model.length === 0) {
    return refuse(
      `\`identify\`: no learnable parameter of \`${controller}\` enters its dynamics, so there is nothing to identify`,
      "make the model learnable (e.g. `learnable A[2, 2] = A0` in `x+ = A*x + B*u`), or remove `identify`",
    );
  }
  const backoffs = backoffParameters(st, template.theta0, new Set(model));
  const b = backoffs.map((x) => `${thetaName(template, x.index)} (${x.bound} bound of x[${x.state}])`).join(", ");
  const note =
    `${controller}: \`identify ${after}\`: after ${after} steps, ${names(template, model)} (entering the one-step model) are fitted to the observed transitions by least squares` +
    (backoffs.length > 0
      ? `; the back-offs ${b} are then kept at least as large as the one-step prediction error that remains, re-derived every ${after} steps`
      : "; no learnable moves a first-stage state bound alone, so no back-off is tightened");
  return { diagnostics: [], notes: [note] };
}
