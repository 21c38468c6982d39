// The `mpcrl` command line: glue only. Each subcommand lives in its own file under cli/ and
// registers itself here; it reads files, calls language/, compiler/ or runtime/, and prints.
// Exit codes: 0 success (warnings allowed), 1 the input has errors, 2 bad usage or unreadable file.

import { Command, CommanderError } from "commander";

const program = new Command("mpcrl")
  .description("MPC as a safe, learnable policy: check, compile, train and evaluate .mpcrl specs")
  .version("0.1.0")
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

// Subcommand registrations (one line each; keep sorted):
(await import("./check.js")).registerCheck(program);
(await import("./compile.js")).registerCompile(program);
(await import("./eval.js")).registerEval(program);
(await import("./fmt.js")).registerFmt(program);
(await import("./qp.js")).registerQp(program);
(await import("./train.js")).registerTrain(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else {
    process.stderr.write(`mpcrl: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  }
}
