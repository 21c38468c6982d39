// Training settings as the server offers them: read from the checker's schema
// (language/check/train.ts: TRAIN_SETTINGS, ALGORITHMS), so completion, snippets and hover never
// disagree with what the checker accepts.

import { ALGORITHMS, TRAIN_SETTINGS, type SettingSpec } from "../language/check/index.js";
import { STUDY_ENTRIES } from "../language/check/study.js";

export { ALGORITHMS, TRAIN_SETTINGS };
export type { SettingSpec };

type ArgSpec = SettingSpec["args"][number];

/** The train block's `study { }` (language/check/study.ts, docs/studies.md) and its entries, as settings for hover and completion. */
const STUDY_SETTING: SettingSpec = {
  key: "study",
  args: [],
  doc: "Many trainings as one experiment (`mpcrl study`): `grid`/`random` settings, learnable initial values or constants, crossed with `seeds`, each evaluated on held-out episodes (`evaluate`). See docs/studies.md.",
  example: "study { grid optimizer lr in [1e-2, 5e-2] }",
};
export const STUDY_ENTRY_SPECS: readonly SettingSpec[] = STUDY_ENTRIES.map((e) => ({ key: e.key, args: [], doc: `${e.doc} Example: \`${e.example}\`.`, example: e.example }));
const STUDY_SNIPPETS: Record<string, string> = {
  study: "study {\n  grid ${1:optimizer lr} in [${2:1e-2, 5e-2}]\n  seeds ${3:5}\n  evaluate episodes ${4:2}\n}",
  grid: "grid ${1:optimizer lr} in [${2:1e-2, 5e-2}]",
  random: "random ${1:optimizer lr} in ${2|log_uniform,uniform|}(${3:1e-3}, ${4:1e-1})",
  samples: "samples ${1:8}",
  search: "search bayesopt rounds ${1:4} batch ${2:4}",
  seeds: "seeds ${1:10}",
  evaluate: "evaluate episodes ${1:2} steps ${2:500} seed ${3:1000}",
};

export function settingSpec(key: string): SettingSpec | undefined {
  return TRAIN_SETTINGS.find((s) => s.key === key) ?? (key === "study" ? STUDY_SETTING : STUDY_ENTRY_SPECS.find((s) => s.key === key));
}

/** Settings usable with an algorithm (all when the algorithm is unknown); `study` at the top of a train block. */
export function settingsFor(algorithm: string | undefined): SettingSpec[] {
  const list = TRAIN_SETTINGS.filter((s) => s.key !== "algorithm" && (!algorithm || !s.algorithms || s.algorithms.some((a) => a === algorithm)));
  return algorithm ? list : [...list, STUDY_SETTING];
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
function argSnippet(arg: ArgSpec, next: { value: number }, example?: string): string {
  if (arg.kind === "num") return `\${${next.value++}:${example !== undefined && Number.isFinite(Number(example)) ? example : arg.integer ? "1" : arg.name}}`;
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

export function settingSnippet(spec: SettingSpec, next: { value: number } = { value: 1 }, exampleValues = false): string {
  if (spec.args.length === 0 && STUDY_SNIPPETS[spec.key]) return STUDY_SNIPPETS[spec.key];
  // exampleValues: numbers take the value of the setting's example (so the expanded text checks)
  const tokens = exampleValues ? spec.example.split(/\s+/).slice(1) : [];
  return [spec.key, ...spec.args.map((a, i) => argSnippet(a, next, tokens[i]))].join(" ");
}

/** `algorithm name { ... }` as a snippet, with the settings the algorithm requires or is specific to. */
export function algorithmSnippet(algorithm: string): string {
  const next = { value: 1 };
  const required = TRAIN_SETTINGS.filter(
    (s) => s.key !== "algorithm" && s.key !== "episodes" && (s.requiredBy?.some((a) => a === algorithm) || (s.algorithms?.some((a) => a === algorithm) && s.args.every((x) => x.kind !== "call" || s.requiredBy))),
  );
  const lines = required.map((s) => `  ${settingSnippet(s, next, true)}`);
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
