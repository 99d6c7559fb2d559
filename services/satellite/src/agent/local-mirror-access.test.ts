import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { hashPassword, parseWriteCredentials } from "../registry/write-credentials.js";
import { basicAuthorization } from "../runtime/mirror-access.js";
import { localMirrorAccess, localMirrorUrl } from "./local-mirror-access.js";

const logged: string[] = [];
const logger = pino({ level: "info" }, { write: (line: string) => void logged.push(line) });

describe("the runtimes' access to the agent's registry", () => {
  it("is nothing without TLS or read credentials", () => {
    expect(localMirrorAccess({ limits: {}, uploads: {} }, undefined, logger)).toBeUndefined();
    expect(localMirrorUrl("10.0.0.2:8585", false)).toBe("10.0.0.2:8585");
    expect(localMirrorUrl("10.0.0.2:8585", true)).toBe("https://10.0.0.2:8585");
  });

  it("trusts the certificate file and logs in as the first reader with a clear-text password, never logging it", async () => {
    const readers = parseWriteCredentials(`ops:${await hashPassword("x", 10)}\nnode:pull-secret\nother:y\n`);
    const access = localMirrorAccess(
      { limits: {}, uploads: {}, tls: { certFile: "/etc/satellite/tls.crt", keyFile: "/k" } },
      readers,
      logger,
    );
    expect(access).toEqual({ ca: "/etc/satellite/tls.crt", authorization: basicAuthorization("node", "pull-secret") });
    expect(logged.join("")).not.toContain("pull-secret");
  });

  it("warns when every reader is an scrypt line", async () => {
    logged.length = 0;
    expect(
      localMirrorAccess(
        { limits: {}, uploads: {} },
        parseWriteCredentials(`ops:${await hashPassword("x", 10)}\n`),
        logger,
      ),
    ).toEqual({});
    expect(logged.join("")).toMatch(/no password in the clear/);
  });
});
