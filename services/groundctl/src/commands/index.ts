// Every command family, in the order help lists them.
import type { Family } from "../command.js";
import { configs } from "./configs.js";
import { groups } from "./groups.js";
import { republish } from "./republish.js";
import { satellites } from "./satellites.js";
import { login, logout } from "./session.js";
import { status } from "./status.js";
import { tokens } from "./tokens.js";

export const FAMILIES: Family[] = [login, logout, status, satellites, groups, configs, tokens, republish];
