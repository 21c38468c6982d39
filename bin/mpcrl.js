#!/usr/bin/env node
// Entry point of the installed CLI: runs the TypeScript sources through tsx's loader so that
// `npx mpcrl` works from a clean clone without a separate build step.
import { register } from "tsx/esm/api";
register();
await import("../cli/main.ts");
