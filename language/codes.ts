// The diagnostics registry: every code the toolchain reports (lexer, parser, checker, compiler,
// language server), with its severity, a short title and its anchor in docs/diagnostics.md. The
// `DiagnosticCode` union is derived from it, so a diagnostic with an unregistered code does not
// type-check; language/test/codes.test.ts checks that every code has a docs entry and a fixture (or
// a named test) and that docs/diagnostics.md's index agrees with this table. Pure data, no I/O.

/** Who reports a code: the lexer/parser, the checker, the compiler's lowering and numeric checks
 *  (compiler/verify.ts, run by `mpcrl check` and the language server), or the language server. */
export type CodeReporter = "syntax" | "checker" | "compiler" | "server";

/** The severity of a code: fixed, or `error|warning` when it depends on the case (the doc says which). */
export type CodeSeverity = "error" | "warning" | "error|warning";

export interface CodeEntry {
  readonly severity: CodeSeverity;
  /** Short title, lower case, as in the docs index. */
  readonly title: string;
  readonly reporter: CodeReporter;
  /** An internal error: reported only on a bug, so no fixture can trigger it. */
  readonly internal?: true;
}

const E = "error";
const W = "warning";
const EW = "error|warning";

/** The registry, in code order. Codes are never reused: a code that is no longer reported moves to
 *  `RETIRED_CODES` with the reason. */
export const CODES = {
  MPC0000: { severity: E, title: "internal error in the front end (language server)", reporter: "server", internal: true },

  MPC1000: { severity: E, title: "internal parser error", reporter: "syntax", internal: true },
  MPC1001: { severity: E, title: "unknown character", reporter: "syntax" },
  MPC1002: { severity: E, title: "unterminated block comment", reporter: "syntax" },
  MPC1003: { severity: E, title: "invalid number", reporter: "syntax" },
  MPC1004: { severity: E, title: "expected a token", reporter: "syntax" },
  MPC1005: { severity: E, title: "unclosed bracket or block", reporter: "syntax" },
  MPC1006: { severity: E, title: "expected an expression", reporter: "syntax" },
  MPC1007: { severity: E, title: "unknown item or block keyword", reporter: "syntax" },
  MPC1008: { severity: E, title: "brackets nested too deeply", reporter: "syntax" },
  MPC1009: { severity: E, title: "item not allowed in this block", reporter: "syntax" },
  MPC1010: { severity: E, title: "unexpected closing delimiter", reporter: "syntax" },
  MPC1011: { severity: E, title: "strict inequality", reporter: "syntax" },
  MPC1012: { severity: E, title: "constraint without a relation", reporter: "syntax" },
  MPC1013: { severity: E, title: "malformed dynamics left side", reporter: "syntax" },
  MPC1014: { severity: E, title: "`penalty` without a weight", reporter: "syntax" },
  MPC1015: { severity: W, title: "empty file", reporter: "syntax" },
  MPC1016: { severity: E, title: "structure on a non-learnable", reporter: "syntax" },
  MPC1018: { severity: E, title: "unknown discretization", reporter: "syntax" },
  MPC1019: { severity: E, title: "unknown solver or solver option", reporter: "syntax" },

  MPC2001: { severity: E, title: "unknown name", reporter: "checker" },
  MPC2002: { severity: E, title: "duplicate declaration", reporter: "checker" },
  MPC2003: { severity: W, title: "shadowed constant", reporter: "checker" },
  MPC2004: { severity: W, title: "unused learnable", reporter: "checker" },
  MPC2005: { severity: E, title: "unknown function", reporter: "checker" },
  MPC2006: { severity: E, title: "wrong number of arguments", reporter: "checker" },
  MPC2007: { severity: E, title: "bad named argument", reporter: "checker" },
  MPC2008: { severity: E, title: "state without dynamics", reporter: "checker" },
  MPC2009: { severity: E, title: "dynamics for a non-state", reporter: "checker" },
  MPC2010: { severity: E, title: "train names a missing block", reporter: "checker" },
  MPC2011: { severity: E, title: "two dynamics for one state", reporter: "checker" },
  MPC2012: { severity: E, title: "name or function not allowed here", reporter: "checker" },
  MPC2013: { severity: E, title: "declaration not allowed in this block", reporter: "checker" },
  MPC2014: { severity: E, title: "setting given twice", reporter: "checker" },
  MPC2015: { severity: E, title: "not a compile-time constant", reporter: "checker" },
  MPC2016: { severity: E, title: "cyclic definition", reporter: "checker" },
  MPC2017: { severity: E, title: "`prev` of a non-input", reporter: "checker" },
  MPC2018: { severity: E, title: "declaration named like a built-in", reporter: "checker" },
  MPC2019: { severity: E, title: "`for` index named like a declaration", reporter: "checker" },
  MPC2020: { severity: E, title: "runtime name of a generated slot", reporter: "checker" },
  MPC2021: { severity: E, title: "name of an `Object.prototype` member", reporter: "checker" },
  MPC2999: { severity: E, title: "internal checker error", reporter: "checker", internal: true },

  MPC3001: { severity: E, title: "`+`/`-` of different shapes", reporter: "checker" },
  MPC3002: { severity: E, title: "matrix product with different inner dimensions", reporter: "checker" },
  MPC3003: { severity: E, title: "element-wise mismatch", reporter: "checker" },
  MPC3004: { severity: E, title: "array literal pieces do not fit", reporter: "checker" },
  MPC3005: { severity: E, title: "index out of range", reporter: "checker" },
  MPC3006: { severity: E, title: "bad index", reporter: "checker" },
  MPC3007: { severity: E, title: "bad dimension", reporter: "checker" },
  MPC3008: { severity: E, title: "initial value or bound of the wrong shape", reporter: "checker" },
  MPC3009: { severity: E, title: "dynamics of the wrong shape", reporter: "checker" },
  MPC3010: { severity: E, title: "cost term not scalar", reporter: "checker" },
  MPC3011: { severity: E, title: "constraint sides of different shapes", reporter: "checker" },
  MPC3012: { severity: E, title: "argument of the wrong shape", reporter: "checker" },
  MPC3013: { severity: E, title: "size of `I` unknown", reporter: "checker" },
  MPC3014: { severity: E, title: "scalar required", reporter: "checker" },
  MPC3015: { severity: E, title: "penalty weight shape", reporter: "checker" },
  MPC3016: { severity: E, title: "value too large", reporter: "checker" },
  MPC3017: { severity: E, title: "horizon too large", reporter: "checker" },
  MPC3018: { severity: E, title: "QP too large", reporter: "checker" },

  MPC4001: { severity: E, title: "not affine", reporter: "checker" },
  MPC4002: { severity: E, title: "cost term not convex", reporter: "checker" },
  MPC4003: { severity: E, title: "learnable weight not PSD by construction", reporter: "checker" },
  MPC4004: { severity: E, title: "nonlinear function of a decision variable in a controller", reporter: "checker" },
  MPC4005: { severity: E, title: "not DPP", reporter: "checker" },
  MPC4006: { severity: E, title: "bound or penalty depends on decision variables", reporter: "checker" },
  MPC4007: { severity: E, title: "lower bound above upper bound", reporter: "checker" },
  MPC4008: { severity: W, title: "lb <= ub not provable (soft constraint)", reporter: "checker" },
  MPC4009: { severity: E, title: "negative slack penalty", reporter: "checker" },
  MPC4010: { severity: E, title: "horizon missing or not a positive integer", reporter: "checker" },
  MPC4011: { severity: E, title: "discount outside (0, 1]", reporter: "checker" },
  MPC4012: { severity: EW, title: "continuous-time settings", reporter: "checker" },
  MPC4013: { severity: E, title: "objective count", reporter: "checker" },
  MPC4014: { severity: E, title: "learnable starts outside its box", reporter: "checker" },
  MPC4015: { severity: E, title: "stage range", reporter: "checker" },
  MPC4016: { severity: E, title: "nothing to decide", reporter: "checker" },
  MPC4017: { severity: E, title: "soft/penalty mismatch", reporter: "checker" },
  MPC4018: { severity: E, title: "input used at stage N", reporter: "checker" },
  MPC4019: { severity: E, title: "sign of a scalar factor not provable", reporter: "checker" },
  MPC4020: { severity: E, title: "entry of a quadratic matrix expression not convex", reporter: "checker" },
  MPC4021: { severity: E, title: "outside the domain", reporter: "checker" },
  // error; a warning for an operand that depends on decision variables in a nonlinear controller
  // (`solver sqp|rti`): its states are bounded only by their declaration, which the iterates may leave
  MPC4022: { severity: EW, title: "domain not provable", reporter: "checker" },
  MPC4023: { severity: E, title: "value or default outside its declared bounds", reporter: "checker" },
  MPC4024: { severity: E, title: "lb <= ub not provable on a hard constraint", reporter: "checker" },
  // error; a warning for an operand that depends on states or inputs in a nonlinear controller and
  // may (not always) overflow inside their declared bounds. In a linear controller a power of states
  // and inputs is not evaluated: its QP coefficients are (an error when they may overflow)
  MPC4025: { severity: EW, title: "value may overflow", reporter: "checker" },
  // `x <= -inf`, `inf <= x[0]`, `x == inf`: reported by the checker for linear and nonlinear
  // controllers; the linear lowering keeps the same code for a bound that is infinite at some
  // stages only (`x <= w[k]` with `w[1] = -inf`), which the checker cannot fold per stage
  MPC4026: { severity: E, title: "bound infinite on the wrong side", reporter: "checker" },

  MPC4601: { severity: E, title: "unsupported construct (compiler)", reporter: "compiler" },
  MPC4602: { severity: E, title: "shape error in lowering (compiler)", reporter: "compiler" },
  MPC4603: { severity: E, title: "not constant (compiler)", reporter: "compiler" },
  MPC4604: { severity: E, title: "no stabilizing DARE solution for `dlqr` (compiler)", reporter: "compiler" },
  MPC4605: { severity: E, title: "`zoh` of a non-constant state matrix (compiler)", reporter: "compiler" },
  MPC4606: { severity: E, title: "Hessian or `psd` initial value not PSD (compiler)", reporter: "compiler" },
  MPC4607: { severity: E, title: "constraints infeasible at the plant's initial state (compiler)", reporter: "compiler" },
  MPC4608: { severity: E, title: "degree above 2 (compiler)", reporter: "compiler" },
  MPC4609: { severity: E, title: "missing item (compiler)", reporter: "compiler" },
  MPC4699: { severity: E, title: "internal compiler error", reporter: "compiler", internal: true },

  MPC5001: { severity: E, title: "state dimensions differ", reporter: "checker" },
  MPC5002: { severity: E, title: "input dimensions differ", reporter: "checker" },
  MPC5003: { severity: E, title: "unknown setting", reporter: "checker" },
  MPC5004: { severity: E, title: "missing required setting", reporter: "checker" },
  MPC5005: { severity: E, title: "bad setting value", reporter: "checker" },
  MPC5006: { severity: E, title: "algorithm missing or setting repeated", reporter: "checker" },
  MPC5007: { severity: E, title: "bayesopt needs finite bounds", reporter: "checker" },
  MPC5008: { severity: W, title: "setting without effect", reporter: "checker" },
  MPC5009: { severity: E, title: "plant state without initial value", reporter: "checker" },
  MPC5010: { severity: E, title: "plant cost", reporter: "checker" },
  MPC5011: { severity: E, title: "episode length", reporter: "checker" },
  MPC5012: { severity: E, title: "plant disturbance without distribution", reporter: "checker" },
  MPC5013: { severity: E, title: "unknown study entry or target", reporter: "checker" },
  MPC5014: { severity: E, title: "empty or malformed study range", reporter: "checker" },
  MPC5015: { severity: E, title: "study value outside the setting's domain", reporter: "checker" },
  MPC5016: { severity: E, title: "malformed or misplaced study", reporter: "checker" },
} as const satisfies Record<string, CodeEntry>;

/** Every code a diagnostic may carry. */
export type DiagnosticCode = keyof typeof CODES;

/** Codes no longer reported, with the reason; they keep a docs entry and are never reused. */
export const RETIRED_CODES: Readonly<Record<string, string>> = {
  MPC1017:
    "never assigned: the numbering skipped it (the 1xxx codes after MPC1016 went straight to MPC1018)",
  MPC4610:
    "declared for an invalid generated name but never reported: generated code quotes or escapes every spec name (compiler/emit/safe.ts), and the checker rejects the names that would clash (MPC2018, MPC2020, MPC2021)",
};

/** The severities a diagnostic with code `C` may have. */
export type SeverityOf<C extends DiagnosticCode> = (typeof CODES)[C]["severity"] extends "error|warning"
  ? "error" | "warning"
  : (typeof CODES)[C]["severity"];

/** The codes whose severity is fixed (a constructor may omit it: the registry supplies it). */
export type FixedSeverityCode = { [C in DiagnosticCode]: (typeof CODES)[C]["severity"] extends "error|warning" ? never : C }[DiagnosticCode];

/** The docs file, relative to the repository (and package) root. */
export const DIAGNOSTICS_DOC = "docs/diagnostics.md";

export const ALL_CODES: readonly DiagnosticCode[] = Object.keys(CODES) as DiagnosticCode[];

export function isDiagnosticCode(code: string): code is DiagnosticCode {
  return Object.prototype.hasOwnProperty.call(CODES, code);
}

/** The anchor of a code's entry in docs/diagnostics.md: `<a id="mpc2001"></a>`, so `#mpc2001`. */
export function docsAnchor(code: string): string {
  return code.toLowerCase();
}

export interface CodeInfo extends CodeEntry {
  readonly code: DiagnosticCode;
  readonly anchor: string;
}

/** The registry entry of a code, with its docs anchor. */
export function codeInfo(code: DiagnosticCode): CodeInfo {
  return { code, ...CODES[code], anchor: docsAnchor(code) };
}

/** The link to a code's docs entry, given the URL of docs/diagnostics.md (`file:`, `https:`, or relative). */
export function docsHref(code: DiagnosticCode, docsUrl: string = DIAGNOSTICS_DOC): string {
  return `${docsUrl}#${docsAnchor(code)}`;
}

/** The severity the registry fixes for `code`, or undefined when it depends on the case. */
export function fixedSeverity(code: DiagnosticCode): "error" | "warning" | undefined {
  const s: CodeSeverity = CODES[code].severity;
  return s === "error|warning" ? undefined : s;
}
