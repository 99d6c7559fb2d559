// The lean unary path (unary/) reproduces part of Connect's protocol handling with its exported
// protocol helpers (`@connectrpc/connect/protocol*`, semi-internal subpaths). A caret range would
// let `npm update` move Connect under it, and the two serving paths could start to disagree
// unnoticed; so the versions are pinned exactly, and moving them is a deliberate change that runs
// the differential test (unary/lean-vs-connect.test.ts). See the gateway's README.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const root = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
  dependencies: Record<string, string>;
};
const lock = JSON.parse(readFileSync(new URL("../../../package-lock.json", import.meta.url), "utf8")) as {
  packages: Record<string, { version?: string }>;
};

describe("Connect is pinned to the version the lean unary path was checked against", () => {
  it.each(["@connectrpc/connect", "@connectrpc/connect-node"])(
    "%s: exact version, and the one the lockfile installs",
    (name) => {
      const spec = root.dependencies[name];
      expect(spec, `${name} must be an exact version (no ^ or ~): the lean path was verified against it`).toMatch(
        /^\d+\.\d+\.\d+$/,
      );
      // What `npm ci` installs.
      expect(lock.packages[`node_modules/${name}`]?.version).toBe(spec);
    },
  );
});
