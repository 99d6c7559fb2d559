// Harbor failures as domain errors, so the gateway's single error interceptor gives callers the
// right Connect code: Harbor being down, overloaded or refusing Ground Control's own credentials
// is Unavailable (the outbox retries it); Harbor saying a name is taken is AlreadyExists; Harbor
// saying what we sent is wrong is InvalidArgument. Messages carry Harbor's words, never secrets.
import { HarborError } from "@harbor-satellite/harbor";
import { RegistryError, RegistryNetworkError } from "@harbor-satellite/oci";
import {
  AlreadyExistsError,
  DomainError,
  InvalidArgumentError,
  NotFoundError,
  UnavailableError,
} from "@harbor-satellite/rpc";

/** Maps what a Harbor API or registry call threw; domain errors pass through unchanged. */
export function harborFailure(error: unknown, what: string): DomainError {
  if (error instanceof DomainError) return error;
  if (error instanceof HarborError) return fromHarborError(error, what);
  if (error instanceof RegistryError) return fromRegistryError(error, what);
  if (error instanceof RegistryNetworkError)
    return new UnavailableError(`${what}: Harbor's registry is unreachable (${error.message})`, error);
  return new UnavailableError(`${what}: ${error instanceof Error ? error.message : String(error)}`, error);
}

function fromHarborError(error: HarborError, what: string): DomainError {
  const detail = `Harbor ${error.operation} answered ${error.status || "nothing"} ${error.code}: ${error.rawMessage}`;
  switch (error.status) {
    case 400:
    case 422:
      return new InvalidArgumentError(`${what}: ${detail}`);
    case 404:
      return withCause(new NotFoundError("Harbor resource for", what), error);
    case 409:
      return withCause(new AlreadyExistsError("Harbor resource for", what), error);
    default:
      // 0 (network), 401/403 (Ground Control's Harbor account is wrong), 429, 5xx: retry later.
      return new UnavailableError(`${what}: ${detail}`, error);
  }
}

function fromRegistryError(error: RegistryError, what: string): DomainError {
  if (error.status === 400)
    return new InvalidArgumentError(`${what}: Harbor's registry refused the push: ${error.message}`);
  return new UnavailableError(`${what}: Harbor's registry failed: ${error.message}`, error);
}

function withCause<T extends DomainError>(domain: T, cause: unknown): T {
  Object.defineProperty(domain, "cause", { value: cause, enumerable: false });
  return domain;
}
