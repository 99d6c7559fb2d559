// Credential refresh, the satellite's side. Ground Control rotates the robot secret before it runs
// out and hands the new one over in a heartbeat answer (its heartbeat service's
// credential-refresh.ts). Here:
//   - every heartbeat says the satellite accepts new credentials, and echoes the rotation id of the
//     last ones it saved (kept in robot-credentials.ack beside config.json: an id, no secret);
//   - new credentials are written into config.json first, sealed like the rest of it
//     (config-at-rest.ts), and used from the next request on only once saved: credentials held
//     only in memory would be lost at a restart while Ground Control stops accepting the old ones.
//     A failed save is not acknowledged, so Ground Control delivers a fresh secret next time;
//   - Harbor refusing the credentials (401) in token mode first asks Ground Control (a heartbeat
//     at once, then a pass): a rotation whose answer was lost arrives that way. Refused again with
//     the same secret after an answer that brought nothing, the satellite needs re-enrolment: every
//     heartbeat then carries the error "robot-credentials", which the drift view and groundctl
//     show. (SPIFFE mode re-enrols by itself over SPIFFE; the agent does that.)
import { join } from "node:path";
import type { Logger } from "pino";
import type { SatelliteConfig } from "../config/satellite-config.js";
import { writeFileAtomic } from "../fs/atomic-file.js";
import { readOptional } from "../fs/read-optional.js";
import type { Heartbeat, HeartbeatAnswer } from "./ground-control-client.js";

export const CREDENTIALS_ACK_FILE = "robot-credentials.ack";
/** The heartbeat error reference Ground Control's drift view turns into "needs re-enrolment". */
export const NEEDS_REENROLMENT_REFERENCE = "robot-credentials";

export interface CredentialRefreshOptions {
  dataDir: string;
  config: () => SatelliteConfig;
  /** Makes `config` the one the agent uses. */
  adopt: (config: SatelliteConfig) => void;
  /** Saves the config at rest (sealed when encrypt_config is set). */
  save: (config: SatelliteConfig) => Promise<void>;
  /** Runs the heartbeat / state-replication job now. */
  triggerHeartbeat: () => void;
  triggerPass: () => void;
  logger: Logger;
}

export interface CredentialRefresh {
  /** The beat with the refresh fields set and the "needs re-enrolment" error added when due. */
  decorate(beat: Heartbeat): Heartbeat;
  /** Takes the credentials a heartbeat answer carries, if any. */
  onAnswer(answer: HeartbeatAnswer): Promise<void>;
  /** Harbor answered 401 to the robot credentials (token mode). */
  harborRefused(): void;
  /** A pass went through: the credentials held work. */
  passSucceeded(): void;
  /** Set once the satellite needs a new ZTR token. */
  readonly needsReenrolment: string | undefined;
}

export async function createCredentialRefresh(options: CredentialRefreshOptions): Promise<CredentialRefresh> {
  const { logger } = options;
  const ackPath = join(options.dataDir, CREDENTIALS_ACK_FILE);
  let ack = (await readOptional(ackPath))?.trim() ?? "";
  /** A 401 seen with this secret; `answered` once a heartbeat answer came back without credentials since. */
  let refused: { password: string; answered: boolean } | undefined;
  let needsReenrolment: string | undefined;
  const password = () => options.config().state_config.auth.password;

  const take = async (credentials: NonNullable<HeartbeatAnswer["robotCredentials"]>) => {
    const current = options.config();
    const auth = current.state_config.auth;
    const next: SatelliteConfig = {
      ...current,
      state_config: {
        ...current.state_config,
        auth: { ...auth, username: credentials.username || auth.username, password: credentials.password },
      },
    };
    try {
      await options.save(next);
      await writeFileAtomic(ackPath, `${credentials.rotationId}\n`, { mode: 0o600 });
    } catch (error) {
      // Not acknowledged: Ground Control keeps accepting the old secret and sends a fresh one.
      logger.warn({ err: error }, "refreshed robot credentials could not be saved; keeping the current ones");
      return;
    }
    options.adopt(next);
    ack = credentials.rotationId;
    const wasRefused = refused !== undefined || needsReenrolment !== undefined;
    refused = undefined;
    needsReenrolment = undefined;
    logger.info(
      { robot: next.state_config.auth.username, rotation: ack },
      "robot credentials refreshed by Ground Control and saved",
    );
    if (wasRefused) options.triggerPass();
  };

  return {
    get needsReenrolment() {
      return needsReenrolment;
    },
    decorate(beat) {
      const errors = needsReenrolment
        ? [{ reference: NEEDS_REENROLMENT_REFERENCE, message: needsReenrolment }, ...beat.errors]
        : beat.errors;
      return { ...beat, errors, acceptsRobotCredentials: true, robotCredentialsAck: ack };
    },
    async onAnswer(answer) {
      if (answer.robotCredentials) return take(answer.robotCredentials);
      if (refused && !refused.answered) {
        // Ground Control had nothing new: try once more with what we hold; a second 401 decides.
        refused.answered = true;
        options.triggerPass();
      }
    },
    passSucceeded() {
      refused = undefined;
    },
    harborRefused() {
      if (needsReenrolment) return;
      const secret = password();
      if (refused?.password === secret && refused.answered) {
        needsReenrolment =
          "Harbor refuses the robot credentials (401) and Ground Control has no new ones: " +
          "issue a new ZTR token (IssueZtrToken), remove config.json and restart the satellite with --token";
        logger.error(needsReenrolment);
        options.triggerHeartbeat();
        return;
      }
      refused = { password: secret, answered: false };
      logger.warn("Harbor refused the robot credentials; asking Ground Control for refreshed ones");
      options.triggerHeartbeat();
    },
  };
}
