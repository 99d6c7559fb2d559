import { Readable } from "node:stream";
import { afterEach, describe, expect, it, vi } from "vitest";
import { UsageError } from "../flags/usage-error.js";
import { parseWriteCredentials } from "../registry/write-credentials.js";
import { run } from "./hash-password.js";

describe("satellite hash-password", () => {
  afterEach(() => vi.restoreAllMocks());

  it("prints an scrypt line that the credentials file accepts for that password only", async () => {
    const out: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => (out.push(String(chunk)), true));
    expect(await run([], Readable.from(["pass word:with colon\n"]))).toBe(0);
    const line = out.join("").trim();
    expect(line).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(line).not.toContain("pass word");
    const creds = parseWriteCredentials(`ci:${line}\n`);
    const basic = (p: string) => `Basic ${Buffer.from(`ci:${p}`).toString("base64")}`;
    expect(await creds.verify(basic("pass word:with colon"))).toBe(true);
    expect(await creds.verify(basic("pass word"))).toBe(false);
  });

  it("takes the password from stdin only", async () => {
    await expect(run(["secret"], Readable.from([""]))).rejects.toBeInstanceOf(UsageError);
    await expect(run([], Readable.from(["\n"]))).rejects.toThrow(/no password on stdin/);
  });
});
