#!/usr/bin/env node
// `satellite`: the bundle when built, else the sources (launch.mjs decides).
import { launch } from "./launch.mjs";

await launch("satellite", "services/satellite/src/cli/main.ts");
