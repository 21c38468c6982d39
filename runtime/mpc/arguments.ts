// The shapes of what an app passes to a controller, checked once where it enters (a programming
// error is a TypeError or RangeError naming the argument and what was expected, thrown before
// anything is written): states, inputs, theta and fallback inputs are arrays or typed arrays of the
// right length, runtime values are given by their declared names, and the options objects of
// MpcController and NonlinearMpc have known keys of the right types. Values (not finite, outside a
// box or range) are checked by bounds.ts. Nothing here allocates unless it throws.

import { mergeSettings, defaultSettings } from "../qp/settings.js";
import type { RuntimeLayout } from "./template.js";
import type { MpcControllerOptions } from "./controller.js";
import type { NonlinearMpcOptions } from "../nmpc/learnable.js";
import type { SqpOptions } from "../nmpc/sqp.js";

/** A short description of a value of the wrong kind, for messages. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (typeof v === "object") return ArrayBuffer.isView(v) ? `a ${v.constructor.name}` : "an object";
  return `${typeof v} ${String(v)}`;
}

/** An array or a typed array (not a string, an object with a length, or a DataView). */
export function isVector(v: unknown): v is ArrayLike<number> {
  return Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
}

/** Throws a TypeError unless `v` is an array or typed array, a RangeError unless it has `len` entries. */
export function assertVector(what: string, v: unknown, len: number): asserts v is ArrayLike<number> {
  if (!isVector(v)) throw new TypeError(`${what} must be an array of ${len} numbers, got ${describeValue(v)}`);
  if (v.length !== len) throw new RangeError(`${what} has length ${v.length}, expected ${len}`);
}

/**
 * The runtime values of a call: an object whose every key names a declared runtime value (a
 * misspelt name would silently leave the last value in force), each a number (size 1) or an array
 * of its size. Throws TypeError (not an object, an unknown name, a value of the wrong kind) or
 * RangeError (wrong length); their values are checked by `runtimeValueViolation` (a status).
 */
export function assertRuntimeShape(runtime: unknown, layouts: readonly RuntimeLayout[]): void {
  if (runtime === null || typeof runtime !== "object" || isVector(runtime)) {
    throw new TypeError(`runtime values must be an object of named values ({ name: value }), got ${describeValue(runtime)}`);
  }
  for (const key in runtime) {
    let r: RuntimeLayout | undefined;
    for (let k = 0; k < layouts.length; k++) if (layouts[k].name === key) r = layouts[k];
    if (r === undefined) {
      const names = layouts.length === 0 ? "declares no runtime values" : `declares ${layouts.map((l) => `\`${l.name}\``).join(", ")}`;
      throw new TypeError(`unknown runtime value \`${key}\`: the controller ${names}`);
    }
    const v = (runtime as Record<string, unknown>)[key];
    if (v === undefined || typeof v === "number") {
      if (typeof v === "number" && r.size !== 1) throw new RangeError(`runtime value ${r.name} must have ${r.size} entries, got a number`);
      continue;
    }
    if (!isVector(v)) throw new TypeError(`runtime value \`${r.name}\` must be ${r.size === 1 ? "a number or " : ""}an array of ${r.size} numbers, got ${describeValue(v)}`);
    if (v.length !== r.size) throw new RangeError(`runtime value ${r.name} must have ${r.size} entries, got ${v.length}`);
  }
}

/** Null when `v` is acceptable, else what was expected, and whether `v` was of the right kind but
 *  out of range (RangeError) rather than of the wrong kind (TypeError). */
type Check = (v: unknown) => { expected: string; range: boolean } | null;
const wrong = (expected: string, range = false) => ({ expected, range });
const bool: Check = (v) => (typeof v === "boolean" ? null : wrong("a boolean"));
const oneOf =
  (...values: string[]): Check =>
  (v) =>
    typeof v === "string" && values.includes(v) ? null : wrong(`one of ${values.map((s) => `"${s}"`).join(", ")}`, typeof v === "string");
const numberIn =
  (expected: string, ok: (x: number) => boolean): Check =>
  (v) =>
    typeof v === "number" && ok(v) ? null : wrong(expected, typeof v === "number");
const nonNegative = numberIn("a finite number >= 0", (x) => Number.isFinite(x) && x >= 0);
const positive = numberIn("a finite number > 0", (x) => Number.isFinite(x) && x > 0);
const count = (min: number): Check => numberIn(`an integer >= ${min}`, (x) => Number.isInteger(x) && x >= min);
const open01 = numberIn("a number in (0, 1)", (x) => x > 0 && x < 1);
const vectorOf =
  (len: number, what: string): Check =>
  (v) => {
    if (!isVector(v)) return wrong(`an array of ${len} finite numbers (${what})`);
    if (v.length !== len) return wrong(`an array of ${len} finite numbers (${what})`, true);
    for (let i = 0; i < len; i++) if (typeof v[i] !== "number" || !Number.isFinite(v[i])) return wrong(`an array of ${len} finite numbers (${what}); entry ${i} is ${describeValue(v[i])}`, true);
    return null;
  };
const qpSettings: Check = (v) => {
  if (v === null || typeof v !== "object" || isVector(v)) return wrong("an object of QP settings");
  const { error } = mergeSettings(defaultSettings, v as Record<string, never>);
  return error === null ? null : wrong(`valid QP settings (${error})`, true);
};
/** The values of theta are checked against the boxes by bounds.ts (ThetaBoxError). */
const theta: Check = (v) => (isVector(v) ? null : wrong("an array of numbers (one per learnable entry)"));

function checkOptions(what: string, options: unknown, checks: Readonly<Record<string, Check>>): void {
  if (options === undefined) return;
  if (options === null || typeof options !== "object" || isVector(options)) throw new TypeError(`${what}s must be an object, got ${describeValue(options)}`);
  for (const key in options) {
    const check = Object.prototype.hasOwnProperty.call(checks, key) ? checks[key] : undefined;
    if (check === undefined) throw new TypeError(`unknown ${what} \`${key}\` (known: ${Object.keys(checks).join(", ")})`);
    const v = (options as Record<string, unknown>)[key];
    if (v === undefined) continue;
    const bad = check(v);
    if (bad !== null) throw new (bad.range ? RangeError : TypeError)(`${what} \`${key}\` must be ${bad.expected}, got ${describeValue(v)}`);
  }
}

/** MpcController's options (MpcControllerOptions), for a controller with `nu` inputs. */
export function assertMpcOptions(options: unknown, nu: number): void {
  checkOptions("MpcController option", options, {
    theta: theta,
    settings: qpSettings,
    firstInputBounds: oneOf("removed", "kept"),
    fallbackInput: vectorOf(nu, "one per input"),
    acceptInaccurate: bool,
    refineTolerance: nonNegative,
    kktTolerance: positive,
    retryRho: nonNegative,
    activeSet: bool,
    reuseFactorization: bool,
    // (exactly the interface's keys: a new option without a check does not compile)
  } satisfies Record<keyof MpcControllerOptions, Check>);
}

/** NonlinearMpc's options (NonlinearMpcOptions). `firstInputBounds` is accepted (the factory passes
 *  every controller the same options) and has no effect: Q(s, a) of an NLP keeps u_0's bounds. */
export function assertNonlinearOptions(options: unknown, nu: number): void {
  checkOptions("NonlinearMpc option", options, {
    theta: theta,
    fallbackInput: vectorOf(nu, "one per input"),
    mode: oneOf("sqp", "rti"),
    rtiInit: oneOf("cold", "converged"),
    sqp: (v) => {
      if (v === null || typeof v !== "object" || isVector(v)) return wrong("an object of SQP settings");
      checkOptions("SQP option", v, {
        tolerance: positive,
        maxIterations: count(1),
        acceptableTolerance: nonNegative,
        acceptableIterations: count(0),
        hessian: oneOf("gauss_newton", "exact"),
        armijo: open01,
        minStep: open01,
        admm: qpSettings,
        scaling: oneOf("bounds", "none"),
        convexify: oneOf("mirror", "project", "identity"),
      } satisfies Record<keyof SqpOptions, Check>);
      return null;
    },
    firstInputBounds: oneOf("removed", "kept"),
  } satisfies Record<keyof NonlinearMpcOptions | "firstInputBounds", Check>);
}
