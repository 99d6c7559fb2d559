#!/usr/bin/env node
// `ground-control`: the bundle when built, else the sources (launch.mjs decides).
import { launch } from "./launch.mjs";

await launch("ground-control", "services/gateway/src/main.ts");
