// groundctl as a library: `main` for bin/groundctl.mjs, `run` for tests that bring their own I/O.
export { main } from "./main.js";
export { run, type Io } from "./run.js";
export { ExitCode } from "./exit-codes.js";
