import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UsageError } from "../flags/usage-error.js";
import { loadEdgePolicy, signaturePolicyOf } from "./edge-policy.js";

const KEY =
  "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n";
const noFingerprint = () => Promise.reject(new Error("no fingerprint in this test"));

describe("the edge policy of the one-shot commands", () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), "edge-policy-"))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("is none without a config: no windows, no cap, no signature requirement", async () => {
    expect(await loadEdgePolicy({ dataDir: dir, fingerprint: noFingerprint })).toBeUndefined();
    const signatures = signaturePolicyOf(undefined, {} as never, pino({ level: "silent" }));
    expect(signatures.enabled).toBe(false);
  });

  it("comes from --config FILE before the data dir's config.json, with the schema's defaults", async () => {
    const file = join(dir, "policy.json");
    await writeFile(
      file,
      JSON.stringify({ app_config: { signature_policy: { require_signature: true, trusted_keys: [KEY] } } }),
    );
    await writeFile(
      join(dir, "config.json"),
      JSON.stringify({ app_config: { sync_policy: { max_bytes_per_second: 1000 } } }),
    );
    const fromFlag = await loadEdgePolicy({ configFile: file, dataDir: dir, fingerprint: noFingerprint });
    expect(fromFlag).toEqual({
      sync: { windows: [], check_state_outside_window: true, max_bytes_per_second: 0 },
      signature: { require_signature: true, trusted_keys: [KEY] },
      source: file,
    });
    expect(signaturePolicyOf(fromFlag, {} as never, pino({ level: "silent" })).enabled).toBe(true);
    const fromDataDir = await loadEdgePolicy({ dataDir: dir, fingerprint: noFingerprint });
    expect(fromDataDir?.sync.max_bytes_per_second).toBe(1000);
    expect(fromDataDir?.source).toBe(join(dir, "config.json"));
  });

  it("refuses a missing --config FILE and a config the schema refuses, naming the file and the field", async () => {
    await expect(loadEdgePolicy({ configFile: join(dir, "nope.json"), dataDir: dir })).rejects.toThrow(
      new UsageError(`--config ${join(dir, "nope.json")}: no such file`),
    );
    await writeFile(
      join(dir, "config.json"),
      JSON.stringify({ app_config: { signature_policy: { require_signature: true } } }),
    );
    const refused = loadEdgePolicy({ dataDir: dir, fingerprint: noFingerprint });
    await expect(refused).rejects.toBeInstanceOf(UsageError);
    await expect(refused).rejects.toThrow(
      /config\.json cannot be used \(.*app_config\.signature_policy\.trusted_keys: require_signature is true: expected at least one trusted key.*\); pass --config FILE/,
    );
  });
});
