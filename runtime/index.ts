export * from "./sparse/csc.js";
export * from "./sparse/ops.js";
export * from "./linalg/amd.js";
export * from "./linalg/ldl.js";
export * from "./qp/types.js";
export * from "./qp/settings.js";
export * from "./qp/osqp.js";
export * from "./qp/io.js";
