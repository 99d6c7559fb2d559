#!/usr/bin/env node
// Runs the satellite CLI from its TypeScript sources through tsx (no build step).
import { register } from "tsx/esm/api";

register();
const { main } = await import("../services/satellite/src/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
