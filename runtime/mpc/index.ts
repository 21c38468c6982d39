// The MPC runtime as generated controllers see it (re-exported by runtime/index.ts).
export * from "./types.js";
export * from "./template.js";
export * from "./controller.js";
export * from "./bounds.js";
