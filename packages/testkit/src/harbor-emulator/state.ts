// What the emulated Harbor remembers: projects and robot accounts (with their plain secrets, so
// tests can assert on them and log in as them), plus stable ids for repositories and artifacts
// that live in the upstream docker-registry. Tests read it through `emulator.state`.
import { randomInt } from "node:crypto";
import type { RobotPermission } from "@harbor-satellite/harbor";

export interface ProjectRecord {
  id: number;
  name: string;
  public: boolean;
  /** ProjectMetadata as Harbor stores it: string values ("true"/"false"). */
  metadata: Record<string, string>;
  storageLimit: number;
  creationTime: Date;
  updateTime: Date;
}

export interface RobotRecord {
  id: number;
  /** The stored name: `name` for system robots, `<project>+<name>` for project robots (no prefix). */
  name: string;
  description: string;
  /** The current secret in plain text (Harbor keeps only a salted hash; tests need the secret). */
  secret: string;
  level: "system" | "project";
  duration: number;
  disabled: boolean;
  /** Unix seconds, -1 = never. */
  expiresAt: number;
  permissions: RobotPermission[];
  /** 0 for system robots. */
  projectId: number;
  creationTime: Date;
  updateTime: Date;
}

export class EmulatorState {
  /** Projects by name. Harbor installs come with the public project `library`. */
  readonly projects = new Map<string, ProjectRecord>();
  /** Robots by id. */
  readonly robots = new Map<number, RobotRecord>();
  /** Harbor's `robot_name_prefix` setting. */
  readonly robotPrefix = "robot$";
  private nextProjectId = 1;
  private nextRobotId = 1;
  private readonly ids = new Map<string, { id: number; seenAt: Date }>();
  private nextId = 1;

  constructor() {
    this.addProject("library", true);
  }

  addProject(name: string, isPublic: boolean, metadata: Record<string, string> = {}, storageLimit = -1): ProjectRecord {
    const now = new Date();
    const project: ProjectRecord = {
      id: this.nextProjectId++,
      name,
      public: isPublic,
      metadata: { ...metadata, public: String(isPublic) },
      storageLimit,
      creationTime: now,
      updateTime: now,
    };
    this.projects.set(name, project);
    return project;
  }

  projectById(id: number): ProjectRecord | undefined {
    for (const p of this.projects.values()) if (p.id === id) return p;
    return undefined;
  }

  /** Harbor's `project_name_or_id` rule: an integer is an id unless the caller says it is a name. */
  projectByNameOrId(value: string, isName = false): ProjectRecord | undefined {
    if (!isName && /^\d+$/.test(value)) return this.projectById(Number(value));
    return this.projects.get(value);
  }

  addRobot(robot: Omit<RobotRecord, "id" | "secret" | "creationTime" | "updateTime">): RobotRecord {
    const now = new Date();
    const record: RobotRecord = {
      ...robot,
      id: this.nextRobotId++,
      secret: generateSecret(),
      creationTime: now,
      updateTime: now,
    };
    this.robots.set(record.id, record);
    return record;
  }

  /** The name Harbor shows and robots log in with: prefix + stored name. */
  fullName(robot: RobotRecord): string {
    return `${this.robotPrefix}${robot.name}`;
  }

  /** The robot that may log in with these credentials right now: enabled, unexpired, right secret. */
  authenticateRobot(username: string, password: string): RobotRecord | undefined {
    if (!username.startsWith(this.robotPrefix)) return undefined;
    const stored = username.slice(this.robotPrefix.length);
    for (const robot of this.robots.values()) {
      if (robot.name !== stored) continue;
      if (robot.disabled || robot.secret !== password) return undefined;
      if (robot.expiresAt !== -1 && robot.expiresAt <= Math.floor(Date.now() / 1000)) return undefined;
      return robot;
    }
    return undefined;
  }

  /**
   * A manifest pushed under `reference` through the emulator's /v2/: Harbor records the push time
   * of the artifact (first push) and of the tag (every push, so a moved tag is newer), which
   * listArtifacts reports as `push_time`.
   */
  recordPush(repository: string, reference: string, digest: string, at = new Date()): void {
    this.identify(`artifact:${repository}@${digest}`);
    if (reference.includes(":")) return; // pushed by digest: no tag
    const tag = this.identify(`tag:${repository}:${reference}`);
    tag.seenAt = at;
  }

  /**
   * A stable numeric id, and when the emulator first saw it, for a repository (`repo:<p>/<r>`),
   * artifact (`artifact:<p>/<r>@<digest>`) or tag: Harbor keeps these in its database, the
   * emulator only sees the registry.
   */
  identify(key: string): { id: number; seenAt: Date } {
    let entry = this.ids.get(key);
    if (entry === undefined) {
      entry = { id: this.nextId++, seenAt: new Date() };
      this.ids.set(key, entry);
    }
    return entry;
  }
}

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** Like Harbor's CreateSec: 32 random alphanumerics, retried until it has an upper, a lower and a digit. */
export function generateSecret(): string {
  for (;;) {
    let s = "";
    for (let i = 0; i < 32; i++) s += alphabet[randomInt(alphabet.length)];
    if (isValidSecret(s)) return s;
  }
}

/** Harbor's IsValidSec: 8–128 characters with at least one upper, one lower and one digit. */
export function isValidSecret(secret: string): boolean {
  return (
    secret.length >= 8 && secret.length <= 128 && /[a-z]/.test(secret) && /[A-Z]/.test(secret) && /\d/.test(secret)
  );
}
