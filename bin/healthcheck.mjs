#!/usr/bin/env node
// The image's HEALTHCHECK: exit 0 when the component COMPONENT names answers on loopback.
// Ground Control: GET /healthz on PORT (8080), over TLS when TLS_CERT_FILE or
// SPIFFE_ENDPOINT_SOCKET is set (the certificate is not checked: this is loopback, and its
// name is not "127.0.0.1"). The satellite: GET /v2/ on its registry port (REGISTRY_ADDR, 8585).
import { get as httpGet } from "node:http";
import { get as httpsGet } from "node:https";

const component = process.env.COMPONENT ?? "ground-control";
const registryPort = (process.env.REGISTRY_ADDR ?? ":8585").split(":").pop() || "8585";
const target =
  component === "satellite"
    ? { tls: false, port: registryPort, path: "/v2/" }
    : {
        tls: Boolean(process.env.TLS_CERT_FILE || process.env.SPIFFE_ENDPOINT_SOCKET),
        port: process.env.PORT ?? "8080",
        path: "/healthz",
      };

const request = (target.tls ? httpsGet : httpGet)(
  { host: "127.0.0.1", port: Number(target.port), path: target.path, timeout: 4000, rejectUnauthorized: false },
  (res) => {
    res.resume();
    process.exit(res.statusCode === 200 ? 0 : 1);
  },
);
request.on("timeout", () => request.destroy(new Error("timed out")));
request.on("error", () => process.exit(1));
