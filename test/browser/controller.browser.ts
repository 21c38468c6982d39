// The compiled Gros & Zanon controller in a real browser: examples/gros_zanon/linear_mpc.mpcrl is
// compiled in-process (compiler `compile()`), bundled by esbuild for the browser (`mpcrl/runtime`
// aliased to runtime/index.ts, as in vitest.config.ts) into one IIFE, and that same bundle runs a
// closed loop (the module's own plant from `createPlant`, seeded, and `createController`) under
// Node and in headless Chromium driven by playwright-core (under Node the unbundled module must
// give the same trace exactly). The first 100 actions, the states, the stage costs and the solver
// statuses must agree to 1e-12 per entry; the max differences are printed.
//
// Not part of `npm test`: run by `npm run test:browser` (vitest.browser.config.ts). It needs
// Debian's chromium ($CHROMIUM, else `command -v chromium`); playwright's own browser downloads
// are never used. Without chromium the test is reported as skipped, with the reason. No network:
// the bundle is injected into an empty page and every request is aborted.

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromium as playwrightChromium } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const STEPS = 100;
const SEED = 69; // the spec's train seed
const TOL = 1e-12;

function findChromium(): string | undefined {
  const fromEnv = process.env.CHROMIUM;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  try {
    const p = execFileSync("sh", ["-c", "command -v chromium"], { encoding: "utf8" }).trim();
    return p.length > 0 && existsSync(p) ? p : undefined;
  } catch {
    return undefined;
  }
}

const executablePath = findChromium();
if (executablePath === undefined) {
  const why = process.env.CHROMIUM ? `$CHROMIUM=${process.env.CHROMIUM} does not exist` : "not on PATH";
  console.log(`skipped: chromium not found (apt-get install chromium) — ${why}`);
}

interface Trace {
  readonly states: number[][];
  readonly actions: number[][];
  readonly status: string[];
  readonly iterations: number[];
  readonly costs: number[];
}

// The bundle's entry: the closed loop, exposed as the IIFE's global `mpcrlLoop`.
const entry = `
import { createController, createPlant } from "./controller.ts";
export function closedLoop(seed, steps) {
  const plant = createPlant();
  const mpc = createController();
  let s = plant.reset(seed);
  const out = { states: [Array.from(s)], actions: [], status: [], iterations: [], costs: [] };
  for (let k = 0; k < steps; k++) {
    const r = mpc.act(s);
    out.actions.push(Array.from(r.u));
    out.status.push(r.status);
    out.iterations.push(r.iterations);
    const step = plant.step(r.u);
    out.costs.push(step.cost);
    s = step.observation;
    out.states.push(Array.from(s));
  }
  return out;
}
`;

const tmp = mkdtempSync(join(tmpdir(), "mpcrl-browser-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function bundle(): Promise<string> {
  const spec = readFileSync(join(root, "examples/gros_zanon/linear_mpc.mpcrl"), "utf8");
  const compiled = compile(spec, { fileName: "linear_mpc.mpcrl" });
  if (compiled.code === undefined) throw new Error(`compile failed: ${JSON.stringify(compiled.diagnostics)}`);
  writeFileSync(join(tmp, "controller.ts"), compiled.code);
  writeFileSync(join(tmp, "entry.js"), entry);
  const result = await build({
    entryPoints: [join(tmp, "entry.js")],
    bundle: true,
    platform: "browser",
    format: "iife",
    globalName: "mpcrlLoop",
    target: "es2022",
    alias: { "mpcrl/runtime": join(root, "runtime/index.ts") },
    write: false,
    logLevel: "error",
  });
  const text = result.outputFiles[0].text;
  // the browser bundle carries no Node API
  expect(text).not.toMatch(/from "node:|require\("/);
  return text;
}

function maxAbsDiff(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): number {
  expect(b.length).toBe(a.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    expect(b[i].length).toBe(a[i].length);
    for (let j = 0; j < a[i].length; j++) {
      const d = a[i][j] === b[i][j] ? 0 : Math.abs(a[i][j] - b[i][j]); // equal infinities/NaN-free
      m = Math.max(m, Number.isNaN(d) ? Infinity : d);
    }
  }
  return m;
}

describe("the compiled Gros & Zanon controller in headless Chromium", () => {
  it.skipIf(executablePath === undefined)(`its first ${STEPS} closed-loop actions equal Node's to ${TOL}`, async () => {
    const t0 = performance.now();
    const code = await bundle();

    // Node: the same bundle text, and the entry as an unbundled module (vitest's resolver)
    const nodeTrace = new Function(`${code}\nreturn mpcrlLoop;`)().closedLoop(SEED, STEPS) as Trace;
    const unbundled = (await import(/* @vite-ignore */ join(tmp, "entry.js"))) as { closedLoop(seed: number, steps: number): Trace };
    expect(unbundled.closedLoop(SEED, STEPS)).toEqual(nodeTrace);

    // Chromium: the same bundle injected into an empty page, no network
    const browser = await playwrightChromium.launch({ executablePath, headless: true });
    let browserTrace: Trace;
    let userAgent: string;
    try {
      const page = await browser.newPage();
      await page.route("**/*", (route) => route.abort());
      await page.setContent("<!doctype html><html><head><title>mpcrl</title></head><body></body></html>");
      await page.addScriptTag({ content: code });
      userAgent = await page.evaluate(() => (globalThis as unknown as { navigator: { userAgent: string } }).navigator.userAgent);
      browserTrace = await page.evaluate(
        ([seed, steps]) => (globalThis as unknown as { mpcrlLoop: { closedLoop(seed: number, steps: number): Trace } }).mpcrlLoop.closedLoop(seed, steps),
        [SEED, STEPS] as const,
      );
    } finally {
      await browser.close();
    }

    expect(nodeTrace.actions).toHaveLength(STEPS);
    expect(nodeTrace.status.every((s) => s === "solved")).toBe(true);
    expect(nodeTrace.actions.flat().every(Number.isFinite)).toBe(true);
    expect(nodeTrace.actions.some((u) => u[0] !== 0)).toBe(true); // a nontrivial loop

    const du = maxAbsDiff(nodeTrace.actions, browserTrace.actions);
    const ds = maxAbsDiff(nodeTrace.states, browserTrace.states);
    const dc = maxAbsDiff([nodeTrace.costs], [browserTrace.costs]);
    const seconds = ((performance.now() - t0) / 1000).toFixed(1);
    console.log(
      `browser vs node (${userAgent.match(/(HeadlessChrome|Chrome)\/[\d.]+/)?.[0] ?? userAgent} vs node ${process.versions.node}, V8 ${process.versions.v8}): ` +
        `${STEPS} actions max |du| = ${du}, states max |ds| = ${ds}, costs max |dc| = ${dc}; ` +
        `iterations ${JSON.stringify(browserTrace.iterations) === JSON.stringify(nodeTrace.iterations) ? "identical" : "differ"}; ${seconds} s`,
    );
    expect(browserTrace.status).toEqual(nodeTrace.status);
    expect(du).toBeLessThanOrEqual(TOL);
    expect(ds).toBeLessThanOrEqual(TOL);
    expect(dc).toBeLessThanOrEqual(TOL);
  }, 120_000);
});
