import { describe, expect, it } from "vitest";
import { hashSecret, verifySecret } from "./secret-hash.js";

const FAST = { ln: 10, r: 8, p: 1 };

describe("secret hashes", () => {
  it("verifies the secret it hashed and nothing else", async () => {
    const stored = await hashSecret("s3cret-Robot", FAST);
    expect(stored).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$/);
    expect(stored).not.toContain("s3cret");
    expect(await verifySecret("s3cret-Robot", stored)).toBe(true);
    expect(await verifySecret("s3cret-robot", stored)).toBe(false);
    expect(await verifySecret("s3cret-Robot", "plain")).toBe(false);
  });

  it("salts every hash", async () => {
    expect(await hashSecret("same", FAST)).not.toBe(await hashSecret("same", FAST));
  });

  it("uses a slow default", async () => {
    expect(await hashSecret("x")).toMatch(/^\$scrypt\$ln=15,/);
  });
});
