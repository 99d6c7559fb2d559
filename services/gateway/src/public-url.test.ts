// Which Ground Control URL a satellite is told to read its state from: GROUND_CONTROL_URL when
// set; otherwise the scheme and authority its own enrolment request used (REST compat route over
// HTTP/1.1 with Host, Connect over HTTP/2 with :authority), never a URL a client claims in the
// header Ground Control processes use among themselves.
import { request } from "node:http";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FleetService } from "@harbor-satellite/gen/harbor/satellite/fleet/v1/fleet_pb";
import { IdentityService } from "@harbor-satellite/gen/harbor/satellite/identity/v1/identity_pb";
import { PUBLIC_URL_HEADER } from "@harbor-satellite/rpc";
import { startHarborEmulator, type HarborEmulator } from "@harbor-satellite/testkit/harbor-emulator";
import type { HttpRequest } from "./http-types.js";
import { requestPublicUrl } from "./public-url.js";
import { startTestGroundControl, TEST_ADMIN_PASSWORD } from "./test-support.js";

const HARBOR = { username: "admin", password: "Harbor12345" };
const ADMIN = `Basic ${Buffer.from(`admin:${TEST_ADMIN_PASSWORD}`).toString("base64")}`;

/** GET over HTTP/1.1 with a chosen Host header (fetch does not let a caller set it). */
function getWithHost(url: string, host: string): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      let text = "";
      res.on("data", (c) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("Ground Control's public URL in enrolment answers", () => {
  let emu: HarborEmulator;
  const instances: Awaited<ReturnType<typeof startTestGroundControl>>[] = [];

  beforeAll(async () => {
    emu = await startHarborEmulator({ adminUser: HARBOR.username, adminPassword: HARBOR.password });
  });
  afterAll(async () => {
    await Promise.all(instances.map((gc) => gc.close()));
    await emu?.stop();
  });

  /** A Ground Control with satellite `edge-1`, and a way to get fresh ZTR tokens for it. */
  const start = async (env: NodeJS.ProcessEnv = {}) => {
    const gc = await startTestGroundControl(
      {},
      { HARBOR_URL: emu.url, HARBOR_USERNAME: HARBOR.username, HARBOR_PASSWORD: HARBOR.password, ...env },
    );
    instances.push(gc);
    const transport = createConnectTransport({ baseUrl: gc.url, httpVersion: "1.1" });
    await createClient(FleetService, transport).createSatellite(
      { satellite: "edge-1" },
      { headers: { authorization: ADMIN } },
    );
    const token = async () =>
      (
        await createClient(IdentityService, transport).issueZtrToken(
          { satellite: "edge-1" },
          { headers: { authorization: ADMIN } },
        )
      ).token;
    return { gc, token };
  };

  it("derives it from the enrolment request when GROUND_CONTROL_URL is unset", async () => {
    const { gc, token } = await start();
    const rest = (await (await fetch(`${gc.url}/satellites/ztr/${await token()}`)).json()) as {
      state: string;
      auth: { url: string };
    };
    expect(rest.state).toBe(`${gc.url}/satellite/satellite-state/edge-1/state:latest`);
    expect(rest.auth.url).toBe(emu.url);

    // The satellite reached Ground Control under another name (a DNS name, a NAT address).
    const named = await getWithHost(`${gc.url}/satellites/ztr/${await token()}`, "gc.example.com:8080");
    expect(named.json.state).toBe("http://gc.example.com:8080/satellite/satellite-state/edge-1/state:latest");

    // Connect over HTTP/2 (:authority), and a client's own claim in the inter-process header is ignored.
    const h2 = createClient(IdentityService, createConnectTransport({ baseUrl: gc.url, httpVersion: "2" }));
    const { stateConfig } = await h2.tokenZtr(
      { token: await token() },
      { headers: { [PUBLIC_URL_HEADER]: "https://evil.example" } },
    );
    expect(stateConfig?.stateUrl).toBe(`${gc.url}/satellite/satellite-state/edge-1/state:latest`);

    // Admins see the same form (the URL they reached Ground Control at).
    const { satellite } = await createClient(
      FleetService,
      createConnectTransport({ baseUrl: gc.url, httpVersion: "1.1" }),
    ).getSatellite({ satellite: "edge-1" }, { headers: { authorization: ADMIN } });
    expect(satellite?.stateUrl).toBe(`${gc.url}/satellite/satellite-state/edge-1/state:latest`);
  });

  it("uses GROUND_CONTROL_URL whatever the request says", async () => {
    const { gc, token } = await start({ GROUND_CONTROL_URL: "https://gc.example.com" });
    const rest = await getWithHost(`${gc.url}/satellites/ztr/${await token()}`, "10.9.9.9:1234");
    expect(rest.json.state).toBe("https://gc.example.com/satellite/satellite-state/edge-1/state:latest");
    const { stateConfig } = await createClient(
      IdentityService,
      createConnectTransport({ baseUrl: gc.url, httpVersion: "1.1" }),
    ).tokenZtr({ token: await token() });
    expect(stateConfig?.stateUrl).toBe("https://gc.example.com/satellite/satellite-state/edge-1/state:latest");
  });

  it("takes scheme from the socket and refuses authorities that are not a host and port", () => {
    const req = (host: string | undefined, encrypted = false, authority?: string) =>
      ({ headers: { host }, socket: { encrypted }, ...(authority ? { authority } : {}) }) as unknown as HttpRequest;
    expect(requestPublicUrl(req("gc.example.com"))).toBe("http://gc.example.com");
    expect(requestPublicUrl(req("gc.example.com:8443", true))).toBe("https://gc.example.com:8443");
    expect(requestPublicUrl(req("GC.Example.com:443", true))).toBe("https://gc.example.com");
    expect(requestPublicUrl(req("[::1]:8080"))).toBe("http://[::1]:8080");
    expect(requestPublicUrl(req(undefined, true, "10.0.0.5:8080"))).toBe("https://10.0.0.5:8080");
    for (const bad of [undefined, "", "gc.example.com/evil", "user@gc.example.com", "gc example"])
      expect(requestPublicUrl(req(bad)), String(bad)).toBeUndefined();
  });
});
