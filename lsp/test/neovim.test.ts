// A real editor as the client: Neovim (headless) starts the server over stdio, attaches to a
// broken spec, receives its diagnostics, asks for a hover and for semantic tokens. Skipped, with
// the reason printed, when `nvim` is not installed (CI's .ci/run installs the Debian package).

import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { positionOf, serverCommand } from "./client.js";

function nvimVersion(): string | undefined {
  try {
    return execFileSync("nvim", ["--version"], { encoding: "utf8" }).split("\n")[0];
  } catch {
    return undefined;
  }
}

const version = nvimVersion();
if (!version) console.warn("neovim.test.ts: SKIPPED: `nvim` is not installed (apt-get install -y neovim)");

const dir = mkdtempSync(join(tmpdir(), "mpcrl-nvim-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("Neovim as a client", () => {
  it.skipIf(!version)(`attaches, receives diagnostics of a broken spec, a hover and keyword tokens (${version ?? "nvim absent"})`, () => {
    const text = [
      "controller Broken {",
      "  state x[2]",
      "  input u[1] in [-1, 1]",
      "  horizon 10",
      "  dynamics x+ = x + [1; 1]*u",
      "  minimize stage x'*x + u'*u +",
      "}",
      "",
    ].join("\n");
    const file = join(dir, "broken.mpcrl");
    writeFileSync(file, text);
    const hoverAt = positionOf(text, text.indexOf("x+")); // the state `x` in the dynamics
    const script = fileURLToPath(new URL("./neovim/check.lua", import.meta.url));
    const r = spawnSync("nvim", ["--headless", "--clean", "-c", `luafile ${script}`, file], {
      cwd: dir,
      encoding: "utf8",
      timeout: 60_000,
      env: {
        ...process.env,
        MPCRL_SERVER_CMD: JSON.stringify(serverCommand()),
        MPCRL_HOVER_LINE: String(hoverAt.line),
        MPCRL_HOVER_COL: String(hoverAt.character),
        // Keep Neovim's log and state out of the home directory.
        XDG_CACHE_HOME: join(dir, "cache"),
        XDG_STATE_HOME: join(dir, "state"),
        XDG_DATA_HOME: join(dir, "data"),
        XDG_CONFIG_HOME: join(dir, "config"),
      },
    });
    expect(r.status, `nvim stderr: ${r.stderr}`).toBe(0);
    const line = r.stdout.split("\n").find((l) => l.startsWith("{"));
    expect(line, `nvim stdout: ${r.stdout}`).toBeDefined();
    const out = JSON.parse(line ?? "{}") as { diagnostics?: { code?: string; message: string; range: { start: { line: number } } }[]; hover?: string; keywords?: string[] };
    const diagnostics = out.diagnostics ?? [];
    expect(diagnostics.length).toBeGreaterThan(0);
    // The expression left open after `+` is reported at the closing brace or just before it.
    expect(diagnostics.some((d) => /^MPC1\d{3}$/.test(d.code ?? "") && d.range.start.line >= 5)).toBe(true);
    expect(out.hover).toContain("state x[2]");
    expect(out.hover).toContain("shape 2×1");
    // Keywords come from semantic tokens, so Neovim colors them without a grammar.
    expect(out.keywords).toEqual(["controller", "state", "input", "in", "horizon", "dynamics", "minimize", "stage"]);
  });
});
