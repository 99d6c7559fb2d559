// JSON naming a field the request does not have is InvalidArgument naming the field, on every
// protocol and both serving paths, word for word alike (issue 10: `{"name":"web","artifact":[…]}`
// to UpdateGroup answered 200 and emptied the group). Known fields, old names and new, still pass.
import { gzipSync } from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServerReflectionRequestSchema } from "@harbor-satellite/gen/grpc/reflection/v1/reflection_pb";
import { FleetService, GetGroupRequestSchema } from "@harbor-satellite/gen/harbor/satellite/fleet/v1/fleet_pb";
import { errorMappingInterceptor } from "@harbor-satellite/rpc";
import { h1, h2 } from "./raw-http-support.js";
import { envelope, outcomeOf, WIRES, type Outcome } from "./rpc-wire-support.js";
import { listenRpc, startTestGroundControl, TEST_ADMIN_PASSWORD } from "./test-support.js";
import type { Listener } from "./transport/listener.js";

const FLEET = "/harbor.satellite.fleet.v1.FleetService";
const ISSUE_ZTR_TOKEN = "/harbor.satellite.identity.v1.IdentityService/IssueZtrToken";
const REFLECTION = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo";

interface JsonWire {
  name: string;
  headers: Record<string, string>;
  body(json: string): Buffer;
  /** gRPC needs HTTP/2. */
  http1: boolean;
}

/** Every way a JSON request reaches the gateway: the first on the lean unary path, the rest on Connect's handlers. */
const JSON_WIRES: readonly JsonWire[] = [
  {
    name: "lean: connect json",
    headers: { "content-type": "application/json" },
    body: (j) => Buffer.from(j),
    http1: true,
  },
  {
    name: "connect: connect json gzip",
    headers: { "content-type": "application/json", "content-encoding": "gzip" },
    body: (j) => gzipSync(j),
    http1: true,
  },
  {
    name: "connect: grpc+json",
    headers: { "content-type": "application/grpc+json", te: "trailers" },
    body: (j) => envelope(0, Buffer.from(j)),
    http1: false,
  },
  {
    name: "connect: grpc+json gzip",
    headers: { "content-type": "application/grpc+json", te: "trailers", "grpc-encoding": "gzip" },
    body: (j) => envelope(1, gzipSync(j)),
    http1: false,
  },
  {
    name: "connect: grpc-web+json",
    headers: { "content-type": "application/grpc-web+json" },
    body: (j) => envelope(0, Buffer.from(j)),
    http1: true,
  },
  {
    name: "connect: grpc-web+json gzip",
    headers: { "content-type": "application/grpc-web+json", "grpc-encoding": "gzip" },
    body: (j) => envelope(1, gzipSync(j)),
    http1: true,
  },
];

const ADMIN = { authorization: `Basic ${Buffer.from(`admin:${TEST_ADMIN_PASSWORD}`).toString("base64")}` };

/** `json` sent to `path` on every JSON wire, over HTTP/1.1 and h2c: outcome by label. */
async function everyJsonWire(url: string, path: string, json: string): Promise<Record<string, Outcome>> {
  const outcomes: Record<string, Outcome> = {};
  for (const wire of JSON_WIRES) {
    for (const [version, send] of Object.entries({ "HTTP/1.1": h1, h2c: h2 })) {
      if (version === "HTTP/1.1" && !wire.http1) continue;
      outcomes[`${wire.name} ${version}`] = outcomeOf(
        await send(url, { method: "POST", path, headers: { ...wire.headers, ...ADMIN }, body: wire.body(json) }),
      );
    }
  }
  expect(Object.keys(outcomes)).toHaveLength(10);
  return outcomes;
}

const allAlike = (outcomes: Record<string, Outcome>, expected: Outcome) => {
  for (const [label, got] of Object.entries(outcomes)) expect(got, label).toEqual(expected);
};
const unknown = (message: string): Outcome => ({ code: "InvalidArgument", message });

describe("strict JSON requests on every protocol and path", () => {
  let gc: Awaited<ReturnType<typeof startTestGroundControl>>;
  beforeAll(async () => {
    gc = await startTestGroundControl();
    const created = await h1(gc.url, {
      method: "POST",
      path: `${FLEET}/CreateGroup`,
      headers: { "content-type": "application/json", ...ADMIN },
      body: JSON.stringify({ group: "web", artifacts: [{ repository: "library/nginx", tags: ["1.27"] }] }),
    });
    expect(outcomeOf(created)).toBe("ok");
  });
  afterAll(async () => gc?.close());

  it('refuses UpdateGroup with the misspelt "artifact", naming it, and leaves the group as it was', async () => {
    const typo = JSON.stringify({ name: "web", artifact: [{ repository: "library/redis", tags: ["7"] }] });
    allAlike(
      await everyJsonWire(gc.url, `${FLEET}/UpdateGroup`, typo),
      unknown(
        'unknown field "artifact" in harbor.satellite.fleet.v1.UpdateGroupRequest (its fields: artifacts, group, clear_artifacts)',
      ),
    );
    const group = await h1(gc.url, {
      method: "POST",
      path: `${FLEET}/GetGroup`,
      headers: { "content-type": "application/json", ...ADMIN },
      body: '{"group":"web"}',
    });
    expect(JSON.parse(group.body.toString()).group.artifacts).toEqual([
      { repository: "library/nginx", tags: ["1.27"], type: "image" },
    ]);
  });

  it('refuses IssueZtrToken with "ttl" for ttl_seconds instead of issuing a 24 h token', async () => {
    const outcomes = await everyJsonWire(gc.url, ISSUE_ZTR_TOKEN, '{"satellite":"edge-1","ttl":60}');
    allAlike(
      outcomes,
      unknown(
        'unknown field "ttl" in harbor.satellite.identity.v1.IssueZtrTokenRequest (its fields: satellite, ttl_seconds)',
      ),
    );
  });

  it("names an unknown field nested in a list of messages", async () => {
    const json = JSON.stringify({ group: "web2", artifacts: [{ repository: "library/nginx", tag: ["1"] }] });
    allAlike(
      await everyJsonWire(gc.url, `${FLEET}/CreateGroup`, json),
      unknown(
        'unknown field "tag" in harbor.satellite.common.v1.Artifact (its fields: repository, tags, digest, type, tag_regex, semver_range, newest_count)',
      ),
    );
  });

  it("cuts a huge unknown key short in the error, on every path", async () => {
    const key = "k".repeat(100_000);
    allAlike(
      await everyJsonWire(gc.url, `${FLEET}/GetGroup`, JSON.stringify({ [key]: 1 })),
      unknown(`unknown field "${"k".repeat(64)}…" in harbor.satellite.fleet.v1.GetGroupRequest (its fields: group)`),
    );
  });

  it("still serves requests naming only known fields, by the new names and (until v0.3) the old ones, in JSON and by field number", async () => {
    for (const json of ['{"group":"web"}', '{"name":"web"}', '{"group":"web","name":"web"}'])
      allAlike(await everyJsonWire(gc.url, `${FLEET}/GetGroup`, json), "ok");
    // An older binary client: the group's name as field 1, the deprecated `name`.
    const oldBinary = toBinary(GetGroupRequestSchema, create(GetGroupRequestSchema, { name: "web" }));
    expect(Array.from(oldBinary.subarray(0, 2))).toEqual([0x0a, 3]);
    for (const wire of WIRES.filter((w) => w.binary)) {
      const send = wire.name.startsWith("grpc") && !wire.name.startsWith("grpc-web") ? h2 : h1;
      expect(
        outcomeOf(
          await send(gc.url, {
            method: "POST",
            path: `${FLEET}/GetGroup`,
            headers: { ...wire.headers, ...ADMIN },
            body: wire.body(oldBinary),
          }),
        ),
        wire.name,
      ).toBe("ok");
    }
  });

  it("refuses an unknown field in a streamed message too (server reflection over gRPC JSON)", async () => {
    const message = JSON.stringify({ listServices: "", bogus: true });
    const outcome = outcomeOf(
      await h2(gc.url, {
        method: "POST",
        path: REFLECTION,
        headers: { "content-type": "application/grpc+json", te: "trailers" },
        body: envelope(0, Buffer.from(message)),
      }),
    );
    expect(outcome).toMatchObject({
      code: "InvalidArgument",
      message: expect.stringMatching(
        /^unknown field "bogus" in grpc\.reflection\.v1\.ServerReflectionRequest \(its fields: host, /,
      ),
    });
    const fine = toBinary(
      ServerReflectionRequestSchema,
      create(ServerReflectionRequestSchema, { messageRequest: { case: "listServices", value: "" } }),
    );
    expect(
      outcomeOf(
        await h2(gc.url, {
          method: "POST",
          path: REFLECTION,
          headers: { "content-type": "application/grpc", te: "trailers" },
          body: envelope(0, fine),
        }),
      ),
    ).toBe("ok");
  });
});

describe("strict JSON in Connect GET requests", () => {
  // None of our rpcs is marked free of side effects, so none is served over GET (405); this
  // router serves a copy of GetGroup that is, to show a GET's JSON is read as strictly.
  let listener: Listener;
  let url: string;
  beforeAll(async () => {
    const getGroup = { ...FleetService.method.getGroup, idempotency: MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS };
    const routes = (router: ConnectRouter) =>
      router.rpc(getGroup, (req) => ({ group: { name: req.group || req.name } }));
    ({ listener, url } = await listenRpc({ routes, interceptors: [errorMappingInterceptor()] }));
  });
  afterAll(async () => listener?.close());

  const get = (json: string) => `${FLEET}/GetGroup?connect=v1&encoding=json&message=${encodeURIComponent(json)}`;

  it("refuses an unknown field in a GET's message as the POST on the lean path does, word for word", async () => {
    const expected = unknown('unknown field "grup" in harbor.satellite.fleet.v1.GetGroupRequest (its fields: group)');
    for (const send of [h1, h2]) {
      const viaGet = await send(url, { method: "GET", path: get('{"grup":"web"}') });
      expect(viaGet.status).toBe(400);
      expect(outcomeOf(viaGet), send.name).toEqual(expected);
      expect(
        outcomeOf(
          await send(url, {
            method: "POST",
            path: `${FLEET}/GetGroup`,
            headers: { "content-type": "application/json" },
            body: '{"grup":"web"}',
          }),
        ),
        send.name,
      ).toEqual(expected);
    }
    const ok = await h1(url, { method: "GET", path: get('{"group":"web"}') });
    expect(JSON.parse(ok.body.toString())).toEqual({ group: { name: "web" } });
  });
});
