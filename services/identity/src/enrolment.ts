// What every successful enrolment returns: fresh robot credentials (the secret is rotated on each
// enrolment, so a leaked old one stops working) and where the satellite's state lives: on Ground
// Control itself (which serves each satellite its own satellite state; Harbor cannot keep one
// satellite's robot from reading another's), reached at the URL the satellite enrolled through
// unless GROUND_CONTROL_URL says otherwise. Its group and config states and its images stay in
// Harbor (`auth.url`); the robot credentials open both. A just-created satellite's robot may not
// exist yet (the outbox creates it): NotFound is retried under the shared retry policy (full
// jitter from 100 ms up to 1 s per wait) until robotWaitMs has passed.
import type { Client } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import { create } from "@bufbuild/protobuf";
import type { RegistryService } from "@harbor-satellite/gen/harbor/satellite/registry/v1/registry_pb";
import { StateConfigSchema, type StateConfig } from "@harbor-satellite/gen/harbor/satellite/identity/v1/identity_pb";
import { retry, retryPolicy } from "@harbor-satellite/retry";
import { satelliteStateUrl, UnavailableError } from "@harbor-satellite/rpc";

export interface EnrolmentDeps {
  registry: Client<typeof RegistryService>;
  /** HARBOR_URL as configured, without a trailing slash. */
  harborUrl: string;
  /** Ground Control's URL as the satellite reaches it (`scheme://host[:port]`). */
  publicUrl: string;
  /** How long to wait for a just-created satellite's robot to appear (the outbox creates it). */
  robotWaitMs?: number;
}

const notReady = (error: unknown) => error instanceof ConnectError && error.code === Code.NotFound;

export async function enrol(deps: EnrolmentDeps, satellite: string): Promise<StateConfig> {
  const policy = retryPolicy({ baseMs: 100, capMs: 1_000, deadlineMs: deps.robotWaitMs ?? 5_000, retryable: notReady });
  try {
    const { robot, secret } = await retry(() => deps.registry.rotateRobotSecret({ satellite }), policy);
    return create(StateConfigSchema, {
      satellite,
      stateUrl: satelliteStateUrl(deps.publicUrl, satellite),
      registryUrl: deps.harborUrl,
      auth: { url: deps.harborUrl, username: robot?.name ?? "", password: secret },
    });
  } catch (error) {
    if (notReady(error))
      throw new UnavailableError(`robot account of satellite ${satellite} is not ready yet: retry shortly`, error);
    throw error;
  }
}
