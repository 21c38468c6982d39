// The checker's built-ins table (language/check/builtins.ts) as the server uses it: signature
// help, hover and completion all read the one table.

import { BUILTIN_FUNCTIONS, BUILTIN_NAMES, builtinFunction, signatureText, type BuiltinFunction } from "../language/check/builtins.js";

export type { BuiltinFunction };
export { BUILTIN_FUNCTIONS, BUILTIN_NAMES };

export function builtinByName(name: string): BuiltinFunction | undefined {
  return builtinFunction(name);
}

export function builtinSignature(f: BuiltinFunction): string {
  return signatureText(f);
}

/** Markdown documentation of a built-in: its doc, the shape rule and its parameters. */
export function builtinMarkdown(f: BuiltinFunction): string {
  const params = f.params.map((p) => `- \`${p.name}\`${p.optional ? " (optional)" : ""}: ${p.doc}`).join("\n");
  return `${f.doc}\n\nresult shape: ${f.shapeRule}\n\n${params}`;
}

export function builtinNameDoc(name: string): string | undefined {
  return BUILTIN_NAMES.find((b) => b.name === name)?.doc;
}

export function isBuiltinName(name: string): boolean {
  return builtinFunction(name) !== undefined || BUILTIN_NAMES.some((b) => b.name === name);
}
