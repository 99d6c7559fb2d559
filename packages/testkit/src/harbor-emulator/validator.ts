// Checks the emulator's traffic against Harbor's swagger: every request's parameters and body
// before a handler sees them (a failure is answered like go-swagger's binder does in Harbor: 422
// UNPROCESSABLE_ENTITY), and every response the emulator sends (a failure is an emulator bug,
// recorded as a violation for the tests to assert on). The swagger is converted to OpenAPI 3.0
// once (the same conversion as the generated client types) and compiled by ajv; validators are
// cached per JSON pointer.
import { Ajv, type ValidateFunction, type ErrorObject } from "ajv";
import addFormatsModule, { type FormatsPlugin } from "ajv-formats";
import { loadHarborOpenApi, type OpenApiDocument } from "@harbor-satellite/harbor/openapi";

// ajv-formats is CommonJS with a default export; under NodeNext the callable sits on `.default`.
const addFormats = (addFormatsModule as unknown as { default: FormatsPlugin }).default;

type Json = Record<string, unknown>;

export interface ParamSpec {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required: boolean;
  schema: Json;
}

export interface OperationSpec {
  operationId: string;
  method: string;
  /** The swagger path template under /api/v2.0, e.g. `/robots/{robot_id}`. */
  path: string;
  pointer: string;
  parameters: ParamSpec[];
  body?: { required: boolean; pointer: string };
  /** Status → JSON pointer of the response body schema (undefined: the status declares no body). */
  responses: Map<string, string | undefined>;
}

/** Typed, defaulted parameter values of one request. */
export type ParamValues = Record<string, string | number | boolean | undefined>;

const docId = "harbor-openapi.json";

export class SwaggerValidator {
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly operations = new Map<string, OperationSpec>();

  private constructor(private readonly doc: OpenApiDocument) {
    // strict: false because the document carries OpenAPI-only keywords (example, x-*, nullable is
    // understood by ajv itself).
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
    // Harbor's swagger also says `format: int` (go-swagger reads it as a plain integer).
    this.ajv.addFormat("int", { type: "number", validate: (n: number) => Number.isInteger(n) });
    this.ajv.addSchema(doc as object, docId);
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const operation = op as Json;
        if (typeof operation?.operationId !== "string") continue;
        this.operations.set(operation.operationId, this.describe(path, method, operation));
      }
    }
  }

  static async load(): Promise<SwaggerValidator> {
    return new SwaggerValidator(await loadHarborOpenApi());
  }

  allOperations(): OperationSpec[] {
    return [...this.operations.values()];
  }

  operation(operationId: string): OperationSpec {
    const op = this.operations.get(operationId);
    if (!op) throw new Error(`operation ${operationId} is not in Harbor's swagger`);
    return op;
  }

  /**
   * Parses raw parameter strings the way go-swagger binds them (integers, booleans, defaults) and
   * validates them. Returns the typed values or the list of failures.
   */
  bindParams(
    operationId: string,
    raw: {
      path: Record<string, string>;
      query: URLSearchParams;
      headers: Record<string, string | string[] | undefined>;
    },
  ): { values: ParamValues; errors: string[] } {
    const values: ParamValues = {};
    const errors: string[] = [];
    for (const param of this.operation(operationId).parameters) {
      let text: string | undefined;
      if (param.in === "path") text = raw.path[param.name];
      else if (param.in === "query") text = raw.query.get(param.name) ?? undefined;
      else if (param.in === "header") {
        const h = raw.headers[param.name.toLowerCase()];
        text = Array.isArray(h) ? h[0] : h;
      }
      if (text === undefined) {
        if (param.required) errors.push(`${param.name} in ${param.in} is required`);
        else if (param.schema.default !== undefined)
          values[param.name] = param.schema.default as string | number | boolean;
        continue;
      }
      const value = coerce(text, param.schema);
      if (value === undefined) {
        errors.push(
          `${param.name} in ${param.in} must be of type ${String(param.schema.format ?? param.schema.type)}: ${JSON.stringify(text)}`,
        );
        continue;
      }
      const validate = this.compile(
        `${this.operation(operationId).pointer}/parameters/${this.paramIndex(operationId, param)}`,
        param.schema,
      );
      if (!validate(value)) errors.push(...describeErrors(validate.errors, `${param.name} in ${param.in}`));
      values[param.name] = value;
    }
    return { values, errors };
  }

  /** Validates a parsed JSON request body (undefined = no body). */
  validateBody(operationId: string, body: unknown): string[] {
    const spec = this.operation(operationId).body;
    if (!spec) return [];
    if (body === undefined) return spec.required ? ["body in body is required"] : [];
    const validate = this.compileRef(spec.pointer);
    return validate(body) ? [] : describeErrors(validate.errors, "body");
  }

  /**
   * Checks a response the emulator is about to send. Returns a description of what is wrong, or
   * undefined. Error statuses the swagger does not list are allowed (Harbor's error responder can
   * send any of them, e.g. 409 on CreateRobot) but their body must still be `Errors`.
   */
  checkResponse(operationId: string, status: number, body: unknown): string | undefined {
    const op = this.operation(operationId);
    const where = `${op.method.toUpperCase()} ${op.path} (${operationId}) → ${status}`;
    let pointer: string | undefined;
    if (op.responses.has(String(status))) pointer = op.responses.get(String(status));
    else if (status >= 400) pointer = "#/components/schemas/Errors";
    else if (op.responses.has("default")) pointer = op.responses.get("default");
    else return `${where}: status not declared in the swagger`;
    if (pointer === undefined) {
      return body === undefined ? undefined : `${where}: sent a body where the swagger declares none`;
    }
    if (body === undefined)
      return op.method === "head" ? undefined : `${where}: no body where the swagger declares one`;
    const validate = this.compileRef(pointer);
    return validate(body) ? undefined : `${where}: ${describeErrors(validate.errors, "response").join("; ")}`;
  }

  private describe(path: string, method: string, op: Json): OperationSpec {
    const pointer = `#/paths/${escapePointer(path)}/${method}`;
    const parameters = ((op.parameters as Json[] | undefined) ?? []).map((p) => this.deref(p) as unknown as ParamSpec);
    const responses = new Map<string, string | undefined>();
    for (const [status, r] of Object.entries((op.responses as Record<string, Json>) ?? {})) {
      const ref = typeof r.$ref === "string" ? r.$ref : `${pointer}/responses/${status}`;
      const resolved = this.deref(r);
      const content = resolved.content as Record<string, Json> | undefined;
      responses.set(
        status,
        content?.["application/json"]?.schema ? `${ref}/content/application~1json/schema` : undefined,
      );
    }
    const requestBody = op.requestBody as Json | undefined;
    return {
      operationId: op.operationId as string,
      method,
      path,
      pointer,
      parameters,
      body: requestBody
        ? {
            required: requestBody.required === true,
            pointer: `${pointer}/requestBody/content/application~1json/schema`,
          }
        : undefined,
      responses,
    };
  }

  private paramIndex(operationId: string, param: ParamSpec): number {
    return this.operation(operationId).parameters.indexOf(param);
  }

  private deref(node: Json): Json {
    if (typeof node.$ref !== "string") return node;
    let target: unknown = this.doc;
    for (const part of node.$ref.replace(/^#\//, "").split("/")) {
      target = (target as Json)[part.replace(/~1/g, "/").replace(/~0/g, "~")];
    }
    return target as Json;
  }

  /** Parameter schemas are small and inline after deref; compile them standalone, keyed by pointer. */
  private compile(key: string, schema: Json): ValidateFunction {
    let v = this.compiled.get(key);
    if (!v) {
      v = this.ajv.compile(rebase(schema));
      this.compiled.set(key, v);
    }
    return v;
  }

  private compileRef(pointer: string): ValidateFunction {
    let v = this.compiled.get(pointer);
    if (!v) {
      v = this.ajv.compile({ $ref: `${docId}${pointer}` });
      this.compiled.set(pointer, v);
    }
    return v;
  }
}

/** Rewrites local `#/…` refs of an extracted schema to point into the registered document. */
function rebase(schema: Json): Json {
  return JSON.parse(JSON.stringify(schema).replace(/"\$ref":"#\//g, `"$ref":"${docId}#/`)) as Json;
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}

/** go-swagger's parsing of path, query and header strings: ints must be ints, bools strconv.ParseBool. */
function coerce(text: string, schema: Json): string | number | boolean | undefined {
  switch (schema.type) {
    case "integer":
      return /^[+-]?\d+$/.test(text) ? Number(text) : undefined;
    case "number":
      return text.trim() !== "" && Number.isFinite(Number(text)) ? Number(text) : undefined;
    case "boolean":
      if (["1", "t", "T", "true", "TRUE", "True"].includes(text)) return true;
      if (["0", "f", "F", "false", "FALSE", "False"].includes(text)) return false;
      return undefined;
    default:
      return text;
  }
}

function describeErrors(errors: ErrorObject[] | null | undefined, subject: string): string[] {
  return (errors ?? []).map((e) => `${subject}${e.instancePath.replace(/\//g, ".")} ${e.message ?? "is invalid"}`);
}
