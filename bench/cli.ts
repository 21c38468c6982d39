// `npm run bench:cli [-- --runs N] [--json]`: start-up time of the installed CLI (bin/mpcrl.js
// running the compiled bundle dist/cli/, rebuilt first with `npm run build:cli`), as ratios to
// `node -e 0` on the same machine. Targets: `mpcrl --version` <= 2x, `mpcrl check` of an example
// <= 3x, `mpcrl compile` <= 5x. Each round runs every command once, in turn (so a change of load
// affects them all alike); the figures are medians over the rounds. Besides wall time, the CPU
// time (user + system, from bash's `time`) is reported: on a loaded machine it is the steadier
// measure. With `--json` the lines go to stderr and one JSON object to stdout.

import { spawnSync } from "node:child_process";
import { cpus, loadavg, tmpdir } from "node:os";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const jsonMode = process.argv.includes("--json");
const log = (line = ""): void => void (jsonMode ? process.stderr : process.stdout).write(line + "\n");
const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const runs = arg("--runs", 9);
const sourcesRuns = arg("--sources-runs", 3);
const load = (): string => loadavg().map((v) => v.toFixed(2)).join(" ");
const median = (v: readonly number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  const k = s.length >> 1;
  return s.length % 2 ? s[k] : 0.5 * (s[k - 1] + s[k]);
};

const build = spawnSync("npm", ["run", "--silent", "build:cli"], { cwd: root, encoding: "utf8" });
if (build.status !== 0) {
  process.stderr.write(`bench:cli: npm run build:cli failed\n${build.stderr}\n`);
  process.exit(1);
}

const tmp = mkdtempSync(join(tmpdir(), "mpcrl-bench-cli-"));
const spec = "examples/gros_zanon/linear_mpc.mpcrl";
const bin = "bin/mpcrl.js";
interface Cmd {
  readonly name: string;
  readonly args: string[];
  readonly target?: number;
  readonly env?: Record<string, string>;
}
const commands: Cmd[] = [
  { name: "node -e 0", args: ["-e", "0"] },
  // the bundle just built, even if a source is touched while the bench runs (bin/mpcrl.js would
  // otherwise fall back to the sources)
  { name: "mpcrl --version", args: [bin, "--version"], target: 2, env: { MPCRL_FROM_SOURCES: "0" } },
  { name: `mpcrl check ${spec}`, args: [bin, "check", spec], target: 3, env: { MPCRL_FROM_SOURCES: "0" } },
  { name: `mpcrl compile ${spec} -o out.ts`, args: [bin, "compile", spec, "-o", join(tmp, "out.ts")], target: 5, env: { MPCRL_FROM_SOURCES: "0" } },
];
const sources: Cmd[] = [
  { name: "from sources (tsx): mpcrl --version", args: [bin, "--version"], env: { MPCRL_FROM_SOURCES: "1" } },
  { name: `from sources (tsx): mpcrl check ${spec}`, args: [bin, "check", spec], env: { MPCRL_FROM_SOURCES: "1" } },
];

const hasBash = spawnSync("bash", ["-c", "true"]).status === 0;
const q = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;

/** One run: wall and CPU seconds (CPU NaN without bash). Exits on a failed command. */
function once(c: Cmd): { wall: number; cpu: number } {
  const env = { ...process.env, NO_COLOR: "1", ...c.env };
  if (hasBash) {
    const script = `TIMEFORMAT='%3R %3U %3S'; time ${[process.execPath, ...c.args].map(q).join(" ")} >/dev/null 2>${q(join(tmp, "stderr"))}`;
    const r = spawnSync("bash", ["-c", script], { cwd: root, encoding: "utf8", env });
    const m = /([\d.]+) ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
    if (r.status !== 0 || !m) fail(c, r.stderr);
    return { wall: Number(m![1]), cpu: Number(m![2]) + Number(m![3]) };
  }
  const t0 = performance.now();
  const r = spawnSync(process.execPath, c.args, { cwd: root, encoding: "utf8", env });
  if (r.status !== 0) fail(c, r.stderr);
  return { wall: (performance.now() - t0) / 1000, cpu: NaN };
}

function fail(c: Cmd, stderr: string): never {
  process.stderr.write(`bench:cli: '${c.name}' failed:\n${stderr}\n`);
  process.exit(1);
}

const loadBefore = load();
log(`bench:cli: ${runs} rounds, ${cpus().length} cores, load average (1, 5, 15 min) before: ${loadBefore}`);
for (const c of commands) once(c); // warm the file cache
const samples = new Map<string, { wall: number[]; cpu: number[] }>(commands.map((c) => [c.name, { wall: [], cpu: [] }]));
for (let r = 0; r < runs; r++) {
  for (const c of commands) {
    const s = once(c);
    samples.get(c.name)!.wall.push(s.wall);
    samples.get(c.name)!.cpu.push(s.cpu);
  }
}
const sourceSamples = sources.map((c) => ({ name: c.name, wall: median(Array.from({ length: sourcesRuns }, () => once(c).wall)) }));
const loadAfter = load();
rmSync(tmp, { recursive: true, force: true });

const base = samples.get(commands[0].name)!;
const baseWall = median(base.wall);
const baseCpu = median(base.cpu);
const rows = commands.map((c) => {
  const s = samples.get(c.name)!;
  const wall = median(s.wall);
  const cpu = median(s.cpu);
  const wallRatio = wall / baseWall;
  const cpuRatio = cpu / baseCpu;
  return { command: c.name, wallSeconds: wall, cpuSeconds: cpu, wallRatio, cpuRatio, target: c.target ?? null, met: c.target === undefined ? null : wallRatio <= c.target, metCpu: c.target === undefined ? null : cpuRatio <= c.target };
});

const pad = (s: string, n: number): string => (s.length >= n ? s : s + " ".repeat(n - s.length));
const f = (v: number, d = 3): string => (Number.isFinite(v) ? v.toFixed(d) : "-");
log();
log(`${pad("command", 64)} ${pad("wall s", 8)} ${pad("ratio", 7)} ${pad("cpu s", 8)} ${pad("ratio", 7)} target`);
for (const r of rows) {
  const verdict = r.target === null ? "(baseline)" : `<= ${r.target}x: ${r.met ? "met" : "NOT met"} (wall), ${r.metCpu === null || !Number.isFinite(r.cpuRatio) ? "-" : r.metCpu ? "met" : "NOT met"} (cpu)`;
  log(`${pad(r.command, 64)} ${pad(f(r.wallSeconds), 8)} ${pad(f(r.wallRatio, 2) + "x", 7)} ${pad(f(r.cpuSeconds), 8)} ${pad(f(r.cpuRatio, 2) + "x", 7)} ${verdict}`);
}
for (const s of sourceSamples) log(`${pad(s.name, 64)} ${pad(f(s.wall), 8)} ${pad(f(s.wall / baseWall, 2) + "x", 7)} (before the compiled bundle; median of ${sourcesRuns})`);
log();
log(`load average (1, 5, 15 min) before: ${loadBefore}, after: ${loadAfter} on ${cpus().length} cores (a loaded machine inflates wall-time ratios)`);
if (jsonMode) process.stdout.write(JSON.stringify({ date: new Date().toISOString(), runs, loadBefore, loadAfter, cores: cpus().length, rows, sources: sourceSamples }, null, 1) + "\n");
