/**
 * Typed errors and the exit codes they map to (DESIGN.md, "Exit codes").
 * Only the CLI entry catches these; everything else throws.
 */

/** Exit codes shared by every command. */
export const ExitCode = {
  ok: 0,
  deploymentFailed: 1,
  badInput: 2,
  refused: 3,
  timedOut: 4,
  needsPerson: 5,
  unreachable: 6,
  /** zk-id: a ZooKeeper ensemble exists but has no quorum; this server did not bootstrap. */
  ensembleWithoutQuorum: 7,
  /** `plan --detailed-exitcode` only: the running app differs from the artifact. */
  drift: 8,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Base class: a message meant for a person and the exit code it stands for. */
export abstract class MdeployError extends Error {
  abstract readonly exitCode: ExitCode;
  /** Extra lines printed under the one-line message (problem lists, hints). */
  readonly details: readonly string[];
  /** What the command knew when it stopped (a plan, what runs); `--json` prints it as `error.state`. */
  readonly state?: unknown;
  constructor(message: string, details: readonly string[] = [], options?: { cause?: unknown; state?: unknown }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = new.target.name;
    this.details = details;
    if (options?.state !== undefined) this.state = options.state;
  }
}

/** Wrong flags, unknown command or environment. */
export class UsageError extends MdeployError {
  readonly exitCode = ExitCode.badInput;
}

/** mdeploy.yml or a cluster file is malformed or has unknown keys. */
export class ConfigError extends MdeployError {
  readonly exitCode = ExitCode.badInput;
}

/** A template failed to render (missing variable, syntax, not JSON). */
export class TemplateError extends MdeployError {
  readonly exitCode = ExitCode.badInput;
}

/** A rendered app definition breaks a Marathon rule. */
export class ValidationError extends MdeployError {
  readonly exitCode = ExitCode.badInput;
}

/** Preflight refused: capacity cannot carry the upgrade, image tag missing. */
export class PreflightRefusedError extends MdeployError {
  readonly exitCode = ExitCode.refused;
}

/** The deployment failed and the previous version is back and healthy. */
export class DeploymentFailedError extends MdeployError {
  readonly exitCode = ExitCode.deploymentFailed;
}

/** The deployment timed out and the previous version is back and healthy. */
export class DeploymentTimedOutError extends MdeployError {
  readonly exitCode = ExitCode.timedOut;
}

/** Failed and the rollback did not finish: a person must look. */
export class NeedsPersonError extends MdeployError {
  readonly exitCode = ExitCode.needsPerson;
}

/** Cannot reach or authenticate to Marathon, Mesos, GitLab or a registry. */
export class UnreachableError extends MdeployError {
  readonly exitCode = ExitCode.unreachable;
}

/**
 * An HTTP call answered with an error status. Its message reads like
 * `PUT https://marathon/v2/apps/click-count: 409 Conflict: App is locked by one or more deployments`.
 * Its exit code comes from the class, never from the status: an answer no caller
 * handled (an unexpected 404, 409 or 429) means the service did not answer as
 * mdeploy expects, exit 6, like a malformed answer. Adapters that know a status
 * means bad input say so with a subclass (MarathonRejectedInputError, exit 2).
 */
export class HttpError extends MdeployError {
  readonly exitCode: ExitCode = ExitCode.unreachable;
  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    readonly statusText: string,
    readonly serverMessage: string,
    details: readonly string[] = [],
  ) {
    super(`${method} ${url}: ${status} ${statusText}${serverMessage ? `: ${serverMessage}` : ""}`, details);
  }
}

/** A command that ends with a given exit code after it has already said why (for example an unhealthy health check). */
export class ExitWithCode extends MdeployError {
  constructor(
    readonly exitCode: ExitCode,
    message = "",
  ) {
    super(message);
  }
}

/** `mdeploy plan --detailed-exitcode`: the running app differs from the artifact (exit 8, after Terraform's 2, which mdeploy gives to bad input). */
export class DriftDetectedError extends MdeployError {
  readonly exitCode = ExitCode.drift;
}

/**
 * zk-id saw evidence of an existing ZooKeeper ensemble that has no quorum, waited
 * for one, and did not bootstrap (a second ensemble with the same IDs).
 */
export class EnsembleWithoutQuorumError extends MdeployError {
  readonly exitCode = ExitCode.ensembleWithoutQuorum;
}
