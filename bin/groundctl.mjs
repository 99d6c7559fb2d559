#!/usr/bin/env node
// `groundctl`: the bundle when built, else the sources (launch.mjs decides).
import { launch } from "./launch.mjs";

await launch("groundctl", "services/groundctl/src/main.ts");
