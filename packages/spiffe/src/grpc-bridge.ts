// Lets grpc-js speak the protobuf-es types generated into gen/, so the .proto files stay the one
// source of truth (no @grpc/proto-loader, no second codegen). Method definitions are built from
// the generated service descriptors: path /<service type name>/<rpc name>, messages encoded with
// toBinary/fromBinary.
import {
  create,
  fromBinary,
  toBinary,
  type DescMessage,
  type DescMethod,
  type MessageInitShape,
  type MessageShape,
} from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import type {
  CallOptions,
  Client,
  ClientReadableStream,
  Metadata,
  MethodDefinition,
  Server,
  ServerUnaryCall,
  ServerWritableStream,
  ServiceDefinition,
  UntypedServiceImplementation,
  sendUnaryData,
} from "@grpc/grpc-js";

/** A generated method descriptor with its message types known. */
export type TypedMethod<I extends DescMessage, O extends DescMessage> = DescMethod & { input: I; output: O };

/** A unary handler; it may answer with a message or a plain init object of the output type. */
export type GrpcUnaryHandler<I extends DescMessage, O extends DescMessage> = (
  call: ServerUnaryCall<MessageShape<I>, MessageInitShape<O>>,
  callback: sendUnaryData<MessageInitShape<O>>,
) => void;

/** A server-streaming handler; it may write messages or plain init objects of the output type. */
export type GrpcServerStreamingHandler<I extends DescMessage, O extends DescMessage> = (
  call: ServerWritableStream<MessageShape<I>, MessageInitShape<O>>,
) => void;

/** grpc-js handlers for every method of a generated service, keyed by the method's localName. */
export type GrpcServiceImplementation<S extends GenServiceMethods> = {
  [K in keyof S]: S[K]["methodKind"] extends "unary"
    ? GrpcUnaryHandler<S[K]["input"], S[K]["output"]>
    : S[K]["methodKind"] extends "server_streaming"
      ? GrpcServerStreamingHandler<S[K]["input"], S[K]["output"]>
      : never;
};

/** The grpc-js method definition of one generated rpc. */
export function grpcMethodDefinition<I extends DescMessage, O extends DescMessage>(
  method: TypedMethod<I, O>,
): MethodDefinition<MessageShape<I>, MessageShape<O>> {
  return {
    path: `/${method.parent.typeName}/${method.name}`,
    originalName: method.name,
    requestStream: method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
    responseStream: method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
    requestSerialize: (message) => Buffer.from(toBinary(method.input, message)),
    requestDeserialize: (bytes) => fromBinary(method.input, bytes),
    // create() returns a message as is and builds one from a plain init object.
    responseSerialize: (message) =>
      Buffer.from(toBinary(method.output, create(method.output, message as MessageInitShape<O>))),
    responseDeserialize: (bytes) => fromBinary(method.output, bytes),
  };
}

/** The grpc-js service definition of a generated service (for Server.addService). */
export function grpcServiceDefinition(service: GenService<GenServiceMethods>): ServiceDefinition {
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    definition[method.localName] = grpcMethodDefinition(method) as MethodDefinition<unknown, unknown>;
  }
  return definition;
}

/** Registers typed handlers for a generated service on a grpc-js server. */
export function addGrpcService<S extends GenServiceMethods>(
  server: Server,
  service: GenService<S>,
  implementation: GrpcServiceImplementation<S>,
): void {
  server.addService(
    grpcServiceDefinition(service as unknown as GenService<GenServiceMethods>),
    implementation as unknown as UntypedServiceImplementation,
  );
}

export interface UnaryCallOptions {
  metadata?: Metadata;
  /** Absolute deadline for the call. */
  deadline?: Date;
  /** Cancels the call (it then rejects with CANCELLED). */
  signal?: AbortSignal;
}

/** Calls a unary rpc on a grpc-js client; rejects with the grpc-js ServiceError. */
export function callUnary<I extends DescMessage, O extends DescMessage>(
  client: Client,
  method: TypedMethod<I, O>,
  request: MessageInitShape<I>,
  options: UnaryCallOptions & { metadata: Metadata },
): Promise<MessageShape<O>> {
  const def = grpcMethodDefinition(method);
  const callOptions: CallOptions = options.deadline ? { deadline: options.deadline } : {};
  return new Promise((resolve, reject) => {
    const call = client.makeUnaryRequest(
      def.path,
      def.requestSerialize,
      def.responseDeserialize,
      create(method.input, request),
      options.metadata,
      callOptions,
      (err, response) => {
        options.signal?.removeEventListener("abort", cancel);
        if (err) reject(err);
        else resolve(response!);
      },
    );
    const cancel = () => call.cancel();
    if (options.signal?.aborted) call.cancel();
    else options.signal?.addEventListener("abort", cancel, { once: true });
  });
}

/** Starts a server-streaming rpc on a grpc-js client. */
export function callServerStream<I extends DescMessage, O extends DescMessage>(
  client: Client,
  method: TypedMethod<I, O>,
  request: MessageInitShape<I>,
  metadata: Metadata,
): ClientReadableStream<MessageShape<O>> {
  const def = grpcMethodDefinition(method);
  return client.makeServerStreamRequest(
    def.path,
    def.requestSerialize,
    def.responseDeserialize,
    create(method.input, request),
    metadata,
  );
}
