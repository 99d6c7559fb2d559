// Harbor publishes its REST API as Swagger 2.0, which openapi-typescript 7 and our validators do
// not read. This module is the one place that turns it into OpenAPI 3.0 (swagger2openapi), so the
// generated types and the Harbor emulator's validators are built from the same document.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import swagger2openapi from "swagger2openapi";

/**
 * Where Harbor's swagger lives: a copy of Harbor's published v2.0 swagger kept in this package
 * (`spec/`), so generation and the emulator work on any checkout. `HARBOR_SWAGGER` overrides it.
 */
export function harborSwaggerPath(): string {
  return process.env.HARBOR_SWAGGER ?? fileURLToPath(new URL("../spec/harbor-v2.0-swagger.yaml", import.meta.url));
}

/** An OpenAPI 3.0 document, loosely typed: callers walk it by JSON pointer. */
export type OpenApiDocument = {
  openapi: string;
  paths: Record<string, Record<string, unknown>>;
  components: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
};

/** Converts Harbor's Swagger 2.0 text to OpenAPI 3.0 (`x-nullable` → `nullable`, definitions → components, body → requestBody). */
export async function convertHarborSwagger(swaggerYaml: string): Promise<OpenApiDocument> {
  const swagger = parseYaml(swaggerYaml) as object;
  const { openapi } = await swagger2openapi.convertObj(swagger, { patch: true, warnOnly: true });
  return openapi as OpenApiDocument;
}

const cache = new Map<string, Promise<OpenApiDocument>>();

/** Loads and converts the swagger once per process and path; every caller shares the result (treat it as read-only). */
export function loadHarborOpenApi(path: string = harborSwaggerPath()): Promise<OpenApiDocument> {
  let doc = cache.get(path);
  if (!doc) {
    doc = readFile(path, "utf8").then(convertHarborSwagger);
    cache.set(path, doc);
    doc.catch(() => cache.delete(path));
  }
  return doc;
}
