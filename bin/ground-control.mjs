#!/usr/bin/env node
// Runs Ground Control from its TypeScript sources through tsx (no build step).
import { register } from "tsx/esm/api";

register();
const { main } = await import("../services/gateway/src/main.ts");
process.exitCode = await main(process.argv.slice(2));
