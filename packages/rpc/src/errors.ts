// Domain errors thrown by stores and services, mapped to Connect codes in exactly one place: the
// error interceptor at the service edge. Messages are written for the operator who sent the
// request: they say what was wrong and with which value.
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

export class DomainError extends Error {
  constructor(
    readonly code: Code,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class InvalidArgumentError extends DomainError {
  constructor(message: string) {
    super(Code.InvalidArgument, message);
  }
}

export class NotFoundError extends DomainError {
  constructor(kind: string, name: string) {
    super(Code.NotFound, `${kind} ${JSON.stringify(name)} not found`);
  }
}

export class AlreadyExistsError extends DomainError {
  constructor(kind: string, name: string) {
    super(Code.AlreadyExists, `${kind} ${JSON.stringify(name)} already exists`);
  }
}

export class FailedPreconditionError extends DomainError {
  constructor(message: string) {
    super(Code.FailedPrecondition, message);
  }
}

export class UnauthenticatedError extends DomainError {
  constructor(message: string) {
    super(Code.Unauthenticated, message);
  }
}

export class PermissionDeniedError extends DomainError {
  constructor(message: string) {
    super(Code.PermissionDenied, message);
  }
}

/** Harbor, SPIRE or another dependency failed; retrying later may help. */
export class UnavailableError extends DomainError {
  constructor(message: string, cause?: unknown) {
    super(Code.Unavailable, message, { cause });
  }
}

/** Maps any error to a ConnectError; unknown errors become Internal without leaking details. */
export function toConnectError(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error instanceof DomainError)
    return new ConnectError(error.message, error.code, undefined, undefined, error.cause ?? error);
  return new ConnectError("internal error", Code.Internal, undefined, undefined, error);
}

/** Server interceptor: the one place domain errors become Connect codes. */
export function errorMappingInterceptor(): Interceptor {
  return (next) => async (req) => {
    try {
      return await next(req);
    } catch (error) {
      throw toConnectError(error);
    }
  };
}
