// `groundctl login` and `groundctl logout`: the stored session (see ../session.ts).
import { resolve } from "node:path";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { expectArgs, flagOpt, stringOpt } from "../args.js";
import type { Command, Family } from "../command.js";
import { UsageError } from "../exit-codes.js";
import { removeSession, readSession, sessionPath, writeSession } from "../session.js";
import { anonymousTarget, normalizeUrl } from "../target.js";

/** The password from stdin: one trailing line break is not part of it. */
export function passwordFromStdin(text: string): string {
  const password = text.replace(/\r?\n$/, "");
  if (password === "") throw new UsageError("no password on stdin");
  if (/[\r\n]/.test(password)) throw new UsageError("the password on stdin must be one line");
  return password;
}

const loginCommand: Command = {
  name: "login",
  usage: "login --url URL [--username NAME] --password-stdin",
  summary: "log in as an admin and store the session (mode 0600) for the commands that follow",
  options: {
    username: { type: "string", value: "NAME", help: "the admin's user name (GROUNDCTL_USERNAME, else admin)" },
    "password-stdin": { type: "boolean", help: "read the password from stdin (else GROUNDCTL_PASSWORD)" },
  },
  async run(ctx, args, values) {
    expectArgs(args, 0, 0, "");
    const target = anonymousTarget(ctx.flags, ctx.env);
    const username = stringOpt(values, "username") ?? (ctx.env.GROUNDCTL_USERNAME || "admin");
    let password: string;
    if (flagOpt(values, "password-stdin")) password = passwordFromStdin(await ctx.readStdin());
    else if (ctx.env.GROUNDCTL_PASSWORD) password = ctx.env.GROUNDCTL_PASSWORD;
    else
      throw new UsageError(
        "give the password on stdin with --password-stdin (or set GROUNDCTL_PASSWORD); it is never taken as an argument",
      );
    const { identity } = await ctx.clientsFor(target);
    const res = await identity.login({ username, password });
    const expireTime = res.expireTime ? timestampDate(res.expireTime).toISOString() : undefined;
    const path = await writeSession(ctx.configDir, {
      url: target.url,
      username,
      token: res.sessionToken,
      ...(expireTime ? { expireTime } : {}),
      ...(target.caFile ? { caFile: resolve(target.caFile) } : {}),
      ...(target.insecureSkipVerify ? { insecureSkipVerify: true } : {}),
    });
    return {
      data: { url: target.url, username, expireTime, session: path },
      table: () =>
        `logged in to ${target.url} as ${username}${expireTime ? ` until ${expireTime.replace(/\.\d{3}Z$/, "Z")}` : ""}\n`,
    };
  },
};

const logoutCommand: Command = {
  name: "logout",
  usage: "logout",
  summary: "end the stored session on Ground Control and remove it here",
  async run(ctx, args) {
    expectArgs(args, 0, 0, "");
    const session = await readSession(ctx.configDir);
    if (!session) {
      ctx.note("not logged in");
      return { data: { loggedOut: false }, table: () => "" };
    }
    const target = {
      ...anonymousTarget(
        {
          ...ctx.flags,
          url: session.url,
          caFile: ctx.flags.caFile ?? session.caFile,
          insecureSkipVerify: ctx.flags.insecureSkipVerify || session.insecureSkipVerify === true,
        },
        {},
      ),
      credentials: { kind: "bearer" as const, token: session.token },
    };
    let failure: unknown;
    try {
      const { identity } = await ctx.clientsFor(target);
      await identity.logout({});
    } catch (error) {
      // A session Ground Control no longer knows is over already.
      if (!(error instanceof ConnectError && error.code === Code.Unauthenticated)) failure = error;
    }
    await removeSession(ctx.configDir);
    if (failure) {
      ctx.note(
        `removed ${sessionPath(ctx.configDir)}, but Ground Control could not be told: the session stays valid there until it expires`,
      );
      throw failure;
    }
    const url = normalizeUrl(session.url);
    return { data: { loggedOut: true, url }, table: () => `logged out of ${url}\n` };
  },
};

export const login: Family = { name: "login", summary: loginCommand.summary, verbs: false, commands: [loginCommand] };
export const logout: Family = {
  name: "logout",
  summary: logoutCommand.summary,
  verbs: false,
  commands: [logoutCommand],
};
