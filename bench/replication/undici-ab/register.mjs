// `node --import ./register.mjs`: installs hooks.mjs (in every thread that runs with this flag).
import { register } from "node:module";

register("./hooks.mjs", import.meta.url);
