// The wall clock of solve statistics, in seconds. In Node, `process.uptime()` (high resolution,
// from uv_hrtime, no allocation); the `performance` global would load perf_hooks on first use,
// about 1.5 ms of every CLI start-up. Elsewhere (browsers, workers) `performance.now()`.
// Browser-safe: `process` is only read off globalThis.

const proc = (globalThis as { process?: { uptime?: () => number } }).process;
const uptime = typeof proc?.uptime === "function" ? proc.uptime.bind(proc) : null;

/** Seconds since an arbitrary origin; only differences are meaningful. */
export const nowSeconds: () => number =
  uptime ?? ((): number => (typeof performance !== "undefined" ? performance.now() : Date.now()) / 1000);
