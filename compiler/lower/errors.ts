// Errors raised while lowering a spec; the compiler turns them into diagnostics.

import type { Span } from "../../language/diagnostics.js";

/** Compiler diagnostic codes (the MPC46xx block: lowering and numeric checks). */
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
  badName: "MPC4610",
  internal: "MPC4699",
} as const;

export class LowerError extends Error {
  constructor(
    message: string,
    readonly span: Span,
    readonly code: string = CompilerCodes.unsupported,
    readonly help?: string,
  ) {
    super(message);
  }
}
