// Human-readable descriptions of shapes, expression classes and symbols (hover, inlay hints,
// completion details).

import type { Decl } from "../language/ast.js";
import type { ExprClass, Shape, SymbolInfo } from "../language/semantic.js";

export function shapeText(shape: Shape): string {
  if (shape.rows === 1 && shape.cols === 1) return "scalar";
  return `${shape.rows}×${shape.cols}`;
}

export function classText(c: ExprClass): string {
  let degree: string = c.degree;
  if (c.degree === "quadratic") degree = `${c.curvature ?? "unknown"} quadratic`.replace("unknown quadratic", "quadratic (curvature unknown)");
  const deps: string[] = [];
  if (c.learnable) deps.push("learnable parameters");
  if (c.runtime) deps.push("runtime values");
  return deps.length > 0 ? `${degree}, depends on ${deps.join(" and ")}` : degree;
}

const kindNames: Record<string, string> = {
  state: "state",
  input: "input",
  param: "parameter",
  runtime: "runtime parameter",
  disturbance: "disturbance",
  const: "constant",
  learnable: "learnable parameter",
  let: "named expression",
  controller: "controller",
  plant: "plant",
  train: "training run",
  builtin: "built-in",
  "stage-index": "stage index",
};

export function kindText(symbol: SymbolInfo): string {
  return kindNames[symbol.kind] ?? symbol.kind;
}

/** The declaration line as written (keyword, structure, name, dims, init, bounds), one line. */
export function declarationText(text: string, symbol: SymbolInfo): string | undefined {
  const decl = symbol.decl;
  if (!decl) return undefined;
  if (decl.kind === "Controller" || decl.kind === "Plant") return `${decl.kind.toLowerCase()} ${decl.name.name}`;
  if (decl.kind === "Train") return `train ${decl.controller.name} on ${decl.plant.name}`;
  const raw = text.slice(decl.span.start, decl.span.end).replace(/\s+/g, " ").trim();
  return raw.length > 200 ? `${raw.slice(0, 197)}...` : raw;
}

export function boundsText(text: string, decl: Decl): string | undefined {
  if (!decl.bounds) return undefined;
  const lo = text.slice(decl.bounds.lower.span.start, decl.bounds.lower.span.end);
  const hi = text.slice(decl.bounds.upper.span.start, decl.bounds.upper.span.end);
  return `[${lo}, ${hi}]`;
}
