// Errors raised while lowering a spec; the compiler turns them into diagnostics.

import type { DiagnosticCode, Span } from "../../language/diagnostics.js";

/** Compiler diagnostic codes (the MPC46xx block: lowering and numeric checks), by role. Each is
 *  registered in language/codes.ts (severity, title, docs anchor); MPC4610 is retired there. */
export const CompilerCodes = {
  unsupported: "MPC4601",
  shape: "MPC4602",
  notConstant: "MPC4603",
  noStabilizing: "MPC4604",
  zohNotConstant: "MPC4605",
  nonconvex: "MPC4606",
  infeasible: "MPC4607",
  degree: "MPC4608",
  missing: "MPC4609",
  internal: "MPC4699",
} as const satisfies Record<string, DiagnosticCode>;

export class LowerError extends Error {
  constructor(
    message: string,
    readonly span: Span,
    readonly code: DiagnosticCode = CompilerCodes.unsupported,
    readonly help?: string,
  ) {
    super(message);
  }
}
