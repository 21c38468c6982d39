// A readable summary of the QP a controller compiles to (the "Show generated QP" command): sizes,
// sparsity of P and A, and the layout of the parameter vector theta.

import type { QpIr } from "../compiler/index.js";

interface CscLike {
  readonly rows: number;
  readonly cols: number;
  readonly colPtr: readonly number[];
}

function density(m: CscLike): string {
  const nnz = m.colPtr[m.cols] ?? 0;
  const total = m.rows * m.cols;
  return `${m.rows}×${m.cols}, ${nnz} nonzeros (${total > 0 ? ((100 * nnz) / total).toFixed(2) : "0"}% dense)`;
}

export function qpSummary(ir: QpIr, fileName: string): string {
  const lines: string[] = [];
  lines.push(`# QP of controller \`${ir.name}\` (${fileName})`, "");
  lines.push("minimize ½ z'Pz + q'z + c subject to l <= Az <= u", "");
  lines.push("| | |", "|---|---|");
  lines.push(`| variables n | ${ir.n} (state size ${ir.nx}, input size ${ir.nu}, ${ir.nSlack} slacks) |`);
  lines.push(`| constraints m | ${ir.m} |`);
  lines.push(`| horizon N | ${ir.horizon} |`);
  lines.push(`| discount | ${ir.discount} |`);
  lines.push(`| P (upper triangle) | ${density(ir.P)} |`);
  lines.push(`| A | ${density(ir.A)} |`);
  lines.push(`| learnable parameters θ | ${ir.nTheta} entries in ${ir.params.length} parameter(s) |`);
  lines.push(`| runtime values | ${ir.nRuntime} entries in ${ir.runtime.length} value(s) |`);
  lines.push(`| data entries depending on θ | ${new Set(ir.jac.map((j) => j.row)).size} of ${ir.data.length} |`, "");
  lines.push("## Variables", "");
  lines.push(`- states: ${ir.stateNames.map((s) => `\`${s.name}\` (${s.size})`).join(", ")} at offset ${ir.stateOffset}`);
  lines.push(`- inputs: ${ir.inputNames.map((s) => `\`${s.name}\` (${s.size})`).join(", ")} at offset ${ir.inputOffset}`);
  if (ir.nSlack > 0) lines.push(`- slacks: ${ir.nSlack} at offset ${ir.slackOffset}`);
  if (ir.params.length > 0) {
    lines.push("", "## Learnable parameters", "", "| name | θ offset | size | line |", "|---|---|---|---|");
    for (const p of ir.params) lines.push(`| \`${p.name}\` | ${p.offset} | ${p.size} | ${p.line} |`);
  }
  if (ir.runtime.length > 0) {
    lines.push("", "## Runtime values", "", "| name | offset | size |", "|---|---|---|");
    for (const r of ir.runtime) lines.push(`| \`${r.name}\` | ${r.offset} | ${r.size} |`);
  }
  return `${lines.join("\n")}\n`;
}
