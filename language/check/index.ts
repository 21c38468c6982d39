// Semantic analysis of a parsed `.mpcrl` program (the checker). Entry point used by
// `language/index.ts`' `check()`. Passes, each in its own file:
//   scope.ts        declarations and scopes                      MPC2002 2003 2013 2014
//   names.ts        name resolution, calls, dynamics targets     MPC2001 2004-2012 2017
//     reserved.ts   names a declaration may not take              MPC2018-2021
//   shapes.ts       rows x cols of every expression              MPC3001-3015, 2016
//     limits.ts     dimension, horizon and QP size limits         MPC3016-3018
//   affinity.ts     degree / curvature / DPP classes (convexity.ts reports)  MPC4001-4006
//     nlp.ts        nonlinear MPC (`solver sqp|rti`): smoothness, Gauss-Newton terms, classification
//   consistency.ts  constants, bounds (interval.ts), settings    MPC2015 4007-4018 5009-5012
//     domain.ts     domains, overflow, infinite bounds           MPC4021-4026
//   train.ts        training settings schema, dimensions          MPC5001-5008
//   study.ts        the train block's `study` (docs/studies.md)   MPC5013-5016
// stages.ts (no pass) gives the stages each statement is evaluated at, the view of interval.ts on
// which every per-stage judgement of the passes (signs, curvature, domains, lb <= ub) is made.
// docs/diagnostics.md documents every code. After the passes, dropRecoveryCascades (names.ts)
// removes "missing item" diagnostics of blocks where a syntax error may have dropped that item.

import type { Program } from "../ast.js";
import type { Diagnostic } from "../diagnostics.js";
import type { SemanticModel } from "../semantic.js";
import { Ctx } from "./context.js";
import { collectScopes } from "./scope.js";
import { dropRecoveryCascades, resolveNames } from "./names.js";
import { inferShapes } from "./shapes.js";
import { checkConvexity } from "./convexity.js";
import { checkConsistency } from "./consistency.js";
import { checkTrain } from "./train.js";
import { checkStudy } from "./study.js";
import { Model } from "./model.js";

export { constValue, declaredValue, declaredDefault, declaredBox, controllerClass, costTermClass, describeControllers } from "./model.js";
export { BUILTIN_FUNCTIONS, BUILTIN_NAMES, builtinFunction, signatureText, type BuiltinFunction } from "./builtins.js";
export { TRAIN_SETTINGS, ALGORITHMS, type SettingSpec } from "./train.js";
export type { Mat } from "./context.js";

export interface CheckOutput {
  readonly diagnostics: Diagnostic[];
  readonly model: SemanticModel;
}

const PASSES: readonly [string, (ctx: Ctx) => void][] = [
  ["scopes", collectScopes],
  ["names", resolveNames],
  ["shapes", inferShapes],
  [
    "convexity+consistency",
    (ctx) => {
      const aff = checkConvexity(ctx);
      checkConsistency(ctx, aff);
    },
  ],
  ["train", checkTrain],
  ["study", checkStudy],
];

export function checkProgram(program: Program, text: string): CheckOutput {
  const ctx = new Ctx(program, text);
  for (const [name, pass] of PASSES) {
    try {
      pass(ctx);
    } catch (e) {
      // A bug must not crash an editor or the CLI: report it and keep the other results.
      ctx.report({
        severity: "error",
        code: "MPC2999",
        message: `internal checker error in the ${name} pass: ${e instanceof Error ? e.message : String(e)}`,
        span: program.span,
        notes: ["this is a bug in mpcrl; please report it with the file"],
      });
      break;
    }
  }
  dropRecoveryCascades(ctx);
  const diagnostics = ctx.diagnostics
    .map((d, i) => ({ d, i }))
    .sort((a, b) => a.d.span.start - b.d.span.start || a.i - b.i)
    .map((x) => x.d);
  return { diagnostics, model: new Model(ctx) };
}
