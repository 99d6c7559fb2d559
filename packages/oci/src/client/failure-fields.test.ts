import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { createRegistryClient } from "./registry-client.js";
import { registryFailureFields } from "./failure-fields.js";

async function failureOf(url: string): Promise<unknown> {
  const client = createRegistryClient({ url, retry: { attempts: 1 } });
  try {
    return await client.getManifest("library/app", "1").then(
      () => undefined,
      (error: unknown) => error,
    );
  } finally {
    client.close();
  }
}

describe("registryFailureFields", () => {
  it("describes a 404 MANIFEST_UNKNOWN by status and code, without a stack", async () => {
    const server = createServer((_req, res) => {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ errors: [{ code: "MANIFEST_UNKNOWN", message: "manifest unknown" }] }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const fields = registryFailureFields(await failureOf(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
    server.close();
    expect(fields).toMatchObject({ status: 404, code: "MANIFEST_UNKNOWN" });
    expect(fields?.reason).toMatch(/HTTP 404 MANIFEST_UNKNOWN: manifest unknown/);
    expect(JSON.stringify(fields)).not.toMatch(/\n\s+at /);
  });

  it("says a TLS client met a plain-HTTP server, and names a refused connection", async () => {
    const server = createServer((_req, res) => res.end("plain"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    const tls = registryFailureFields(await failureOf(`https://127.0.0.1:${port}`));
    server.close();
    expect(tls?.reason).toMatch(/TLS was answered in plain HTTP/);
    const refused = registryFailureFields(await failureOf(`http://127.0.0.1:${port}`));
    expect(refused).toMatchObject({ code: "ECONNREFUSED" });
  });

  it("leaves anything else to be logged as a bug, with its stack", () => {
    expect(registryFailureFields(new TypeError("x is not a function"))).toBeUndefined();
  });
});
