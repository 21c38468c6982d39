// Training settings as the server offers them: read from the checker's schema
// (language/check/train.ts: TRAIN_SETTINGS, ALGORITHMS), so completion, snippets and hover never
// disagree with what the checker accepts.

import { ALGORITHMS, TRAIN_SETTINGS, type SettingSpec } from "../language/check/index.js";

export { ALGORITHMS, TRAIN_SETTINGS };
export type { SettingSpec };

type ArgSpec = SettingSpec["args"][number];

export function settingSpec(key: string): SettingSpec | undefined {
  return TRAIN_SETTINGS.find((s) => s.key === key);
}

/** Settings usable with an algorithm (all when the algorithm is unknown). */
export function settingsFor(algorithm: string | undefined): SettingSpec[] {
  return TRAIN_SETTINGS.filter((s) => s.key !== "algorithm" && (!algorithm || !s.algorithms || s.algorithms.some((a) => a === algorithm)));
}

/** Bare words accepted as the first argument of a setting (`hessian approximate`), or call variants. */
export function firstArgWords(key: string): readonly string[] {
  const a = settingSpec(key)?.args[0];
  if (!a) return [];
  if (a.kind === "word") return a.values ?? [];
  if (a.kind === "call") return a.variants.map((v) => v.name);
  return [];
}

/** A snippet of one setting's arguments, numbering tab stops from `next.value`. */
function argSnippet(arg: ArgSpec, next: { value: number }): string {
  if (arg.kind === "num") return `\${${next.value++}:${arg.integer ? "1" : arg.name}}`;
  if (arg.kind === "word") {
    const values = arg.values ?? [];
    if (values.length === 1) return values[0] ?? arg.name;
    if (values.length > 1) return `\${${next.value++}|${values.join(",")}|}`;
    return `\${${next.value++}:${arg.name}}`;
  }
  const v = arg.variants[0];
  if (!v) return arg.name;
  // The first variant with its required parameters (other variants take other parameters).
  const head = arg.variants.length > 1 ? `\${${next.value++}:${v.name}}` : v.name;
  const params = v.params.filter((p) => !p.optional).map((p) => `${p.name} = \${${next.value++}:1e-2}`);
  return `${head}(${params.join(", ")})`;
}

export function settingSnippet(spec: SettingSpec, next: { value: number } = { value: 1 }): string {
  return [spec.key, ...spec.args.map((a) => argSnippet(a, next))].join(" ");
}

/** `algorithm name { ... }` as a snippet, with the settings the algorithm requires or is specific to. */
export function algorithmSnippet(algorithm: string): string {
  const next = { value: 1 };
  const required = TRAIN_SETTINGS.filter(
    (s) => s.key !== "algorithm" && s.key !== "episodes" && (s.requiredBy?.some((a) => a === algorithm) || (s.algorithms?.some((a) => a === algorithm) && s.args.every((x) => x.kind !== "call" || s.requiredBy))),
  );
  const lines = required.map((s) => `  ${settingSnippet(s, next)}`);
  return [`algorithm ${algorithm} {`, ...lines, `  $0`, "}"].join("\n");
}

/** The setting's argument pattern in words, for hover and completion details. */
export function settingUsage(spec: SettingSpec): string {
  const arg = (a: ArgSpec): string => {
    if (a.kind === "num") return `<${a.name}>`;
    if (a.kind === "word") return a.values && a.values.length === 1 ? (a.values[0] ?? a.name) : a.values ? a.values.join("|") : `<${a.name}>`;
    return a.variants.map((v) => `${v.name}(${v.params.map((p) => (p.optional ? `${p.name}?` : p.name)).join(", ")})`).join(" | ");
  };
  return [spec.key, ...spec.args.map(arg)].join(" ");
}

export function settingMarkdown(spec: SettingSpec): string {
  const lines = ["```mpcrl", settingUsage(spec), "```", spec.doc];
  if (spec.algorithms) lines.push(`algorithms: ${spec.algorithms.map((a) => `\`${a}\``).join(", ")}`);
  if (spec.requiredBy) lines.push(`required by: ${spec.requiredBy.map((a) => `\`${a}\``).join(", ")}`);
  const call = spec.args.find((a) => a.kind === "call");
  if (call && call.kind === "call") for (const v of call.variants) lines.push(`- \`${v.name}\`: ${v.doc}`);
  return lines.join("\n\n");
}
