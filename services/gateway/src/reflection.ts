// gRPC server reflection (v1 and v1alpha) over the services this gateway serves, so
// `grpcurl -plaintext HOST:PORT list` and `buf curl --list-methods` work without proto files.
import { create, fromBinary, toBinary, type DescFile, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import * as v1 from "@harbor-satellite/gen/grpc/reflection/v1/reflection_pb";
import * as v1alpha from "@harbor-satellite/gen/grpc/reflection/v1alpha/reflection_pb";

/** Index of files and the symbols they define, built once from the served services. */
class DescriptorIndex {
  private readonly files = new Map<string, DescFile>();
  private readonly symbols = new Map<string, DescFile>();

  constructor(readonly services: readonly DescService[]) {
    for (const service of services) this.addFile(service.file);
  }

  private addFile(file: DescFile): void {
    if (this.files.has(file.name)) return;
    this.files.set(file.name, file);
    for (const message of file.messages) this.addMessage(message, file);
    for (const e of file.enums) this.symbols.set(e.typeName, file);
    for (const service of file.services) {
      this.symbols.set(service.typeName, file);
      for (const method of service.methods) this.symbols.set(`${service.typeName}.${method.name}`, file);
    }
    for (const dep of file.dependencies) this.addFile(dep);
  }

  private addMessage(message: DescFile["messages"][number], file: DescFile): void {
    this.symbols.set(message.typeName, file);
    for (const nested of message.nestedMessages) this.addMessage(nested, file);
    for (const e of message.nestedEnums) this.symbols.set(e.typeName, file);
  }

  /** The file and everything it imports, each serialized once. */
  descriptorsFor(file: DescFile): Uint8Array[] {
    const seen = new Set<string>();
    const out: Uint8Array[] = [];
    const visit = (f: DescFile) => {
      if (seen.has(f.name)) return;
      seen.add(f.name);
      out.push(toBinary(FileDescriptorProtoSchema, f.proto));
      f.dependencies.forEach(visit);
    };
    visit(file);
    return out;
  }

  byFilename(name: string): DescFile | undefined {
    return this.files.get(name);
  }

  bySymbol(symbol: string): DescFile | undefined {
    return this.symbols.get(symbol.replace(/^\./, ""));
  }
}

const NOT_FOUND = 5;
const UNIMPLEMENTED = 12;

function answer(index: DescriptorIndex, req: v1.ServerReflectionRequest): v1.ServerReflectionResponse {
  const respond = (messageResponse: v1.ServerReflectionResponse["messageResponse"]) =>
    create(v1.ServerReflectionResponseSchema, { validHost: req.host, originalRequest: req, messageResponse });
  const files = (file: DescFile | undefined, what: string) =>
    file
      ? respond({
          case: "fileDescriptorResponse",
          value: create(v1.FileDescriptorResponseSchema, { fileDescriptorProto: index.descriptorsFor(file) }),
        })
      : error(`${what} not found`, NOT_FOUND);
  const error = (message: string, code: number) =>
    respond({
      case: "errorResponse",
      value: create(v1.ErrorResponseSchema, { errorCode: code, errorMessage: message }),
    });
  const r = req.messageRequest;
  switch (r.case) {
    case "listServices":
      return respond({
        case: "listServicesResponse",
        value: create(v1.ListServiceResponseSchema, {
          service: index.services.map((s) => create(v1.ServiceResponseSchema, { name: s.typeName })),
        }),
      });
    case "fileByFilename":
      return files(index.byFilename(r.value), `file ${r.value}`);
    case "fileContainingSymbol":
      return files(index.bySymbol(r.value), `symbol ${r.value}`);
    case "allExtensionNumbersOfType":
      return respond({
        case: "allExtensionNumbersResponse",
        value: create(v1.ExtensionNumberResponseSchema, { baseTypeName: r.value }),
      });
    default:
      return error("extensions are not served", UNIMPLEMENTED);
  }
}

/** Registers both reflection versions for the given services (reflection lists itself too). */
export function reflectionRoutes(services: readonly DescService[]): (router: ConnectRouter) => void {
  const index = new DescriptorIndex([...services, v1.ServerReflection, v1alpha.ServerReflection]);
  return (router) => {
    router.service(v1.ServerReflection, {
      async *serverReflectionInfo(requests) {
        for await (const req of requests) yield answer(index, req);
      },
    });
    // v1alpha is wire-identical to v1: translate through the binary form.
    router.service(v1alpha.ServerReflection, {
      async *serverReflectionInfo(requests) {
        for await (const req of requests) {
          const res = answer(
            index,
            fromBinary(v1.ServerReflectionRequestSchema, toBinary(v1alpha.ServerReflectionRequestSchema, req)),
          );
          yield fromBinary(v1alpha.ServerReflectionResponseSchema, toBinary(v1.ServerReflectionResponseSchema, res));
        }
      },
    });
  };
}
