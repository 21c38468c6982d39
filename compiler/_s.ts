import { readFileSync, writeFileSync } from "node:fs";
import { compile } from "./index.js";
const src = readFileSync("examples/gros_zanon/linear_mpc.mpcrl", "utf8");
const t0 = performance.now();
const r = compile(src, { fileName: "linear_mpc.mpcrl" });
console.log(performance.now() - t0, r.diagnostics);
if (r.code) writeFileSync("/tmp/gz_controller.ts", r.code);
