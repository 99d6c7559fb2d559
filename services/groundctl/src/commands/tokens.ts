// `groundctl tokens issue SATELLITE [--ttl DUR]`: a single-use ZTR token for a satellite without
// SPIFFE. In the default output only the token goes to stdout (TOKEN=$(groundctl tokens issue x));
// when it expires goes to stderr.
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { expectArgs, stringOpt } from "../args.js";
import type { Command, Family } from "../command.js";
import { parseDurationSeconds } from "../duration.js";
import { formatTime } from "../output.js";

const issue: Command = {
  name: "issue",
  usage: "tokens issue SATELLITE [--ttl DUR]",
  summary: "issue a single-use enrolment (ZTR) token; prints only the token (earlier unused ones are revoked)",
  options: {
    ttl: { type: "string", value: "DUR", help: "how long it is accepted: 90s, 15m, 24h (default), up to 7d" },
  },
  async run(ctx, args, values) {
    expectArgs(args, 1, 1, "the SATELLITE's name");
    const ttl = stringOpt(values, "ttl");
    const ttlSeconds = ttl === undefined ? 0n : BigInt(parseDurationSeconds(ttl, "--ttl"));
    const { identity } = await ctx.admin();
    const res = await identity.issueZtrToken({ satellite: args[0], ttlSeconds });
    return {
      data: {
        satellite: args[0],
        token: res.token,
        expireTime: res.expireTime ? timestampDate(res.expireTime).toISOString() : undefined,
      },
      table: () => {
        ctx.note(`token for ${args[0]}, single use, expires ${formatTime(res.expireTime)}`);
        return `${res.token}\n`;
      },
    };
  },
};

export const tokens: Family = {
  name: "tokens",
  summary: "enrolment tokens: issue",
  verbs: true,
  commands: [issue],
};
