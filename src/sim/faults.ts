/**
 * Fault injection for tests: what the next requests suffer. Each rule applies to
 * the Marathon servers (default), the Mesos master, or both, and optionally only to
 * paths matching a pattern.
 */
export type FaultTarget = "marathon" | "mesos" | "all";

export interface FaultScope {
  target?: FaultTarget;
  /** Only requests whose path matches. */
  path?: string | RegExp;
  /** Only requests with this HTTP method (upper case), e.g. "PUT". */
  method?: string;
}

/**
 * What the client gets instead of the real answer to a request the simulator has
 * applied: a proxy's status (502/503/504), a 2xx with an empty, cut or non-JSON
 * body, or a connection reset after the work was done.
 */
export type AnswerAfterApplying = number | "empty" | "cut" | "not-json" | "reset";

/** The fault-injection handle of a running simulator. */
export interface FaultInjector {
  /** Delays every matching response by `ms` of real time (0 turns it off). */
  latency(ms: number, scope?: FaultScope): void;
  /** Answers the next `count` matching requests with `status` (default 503) and a Marathon-style body. */
  failNext(count: number, options?: FaultScope & { status?: number; message?: string }): void;
  /** Resets the connection of the next `count` matching requests without answering. */
  resetNext(count: number, scope?: FaultScope): void;
  /**
   * Applies the next `count` matching requests (the cluster changes), then answers
   * them with `answer` instead: the "may have applied" answers a client must read back.
   */
  answerAfterApplying(count: number, answer: AnswerAfterApplying, scope?: FaultScope): void;
  /**
   * Runs `action` inside the simulator just before the next matching request is
   * handled (for example another job's PUT landing first, so this one meets a real 409).
   */
  beforeNext(scope: FaultScope, action: () => void): void;
  /** Closes every open `/v2/events` stream now. */
  dropEventStreams(): void;
  /** Moves leadership to the Marathon instance at `index` (default: the next one); -1 = no leader. */
  changeLeader(index?: number): void;
  /**
   * Disconnects an agent: its tasks become TASK_LOST and are replaced elsewhere (the
   * default unreachableStrategy of 0/0), and it makes no offers until `agentUp`.
   */
  agentDown(hostname: string): void;
  agentUp(hostname: string): void;
  /** Removes every pending request fault (agents stay as they are). */
  clear(): void;
}

/** What the HTTP layer should do to one request. */
export type FaultDecision =
  | { kind: "none"; latencyMs: number }
  | { kind: "reset"; latencyMs: number }
  | { kind: "fail"; latencyMs: number; status: number; message: string }
  | { kind: "after"; latencyMs: number; answer: AnswerAfterApplying };

interface CountedRule {
  remaining: number;
  scope: FaultScope;
  status?: number;
  message?: string;
  answer?: AnswerAfterApplying;
}

function matches(scope: FaultScope, target: "marathon" | "mesos", path: string, method: string): boolean {
  const t = scope.target ?? "marathon";
  if (t !== "all" && t !== target) return false;
  if (scope.method !== undefined && scope.method.toUpperCase() !== method.toUpperCase()) return false;
  if (scope.path === undefined) return true;
  return typeof scope.path === "string" ? path === scope.path || path.startsWith(`${scope.path}/`) : scope.path.test(path);
}

/** Holds the pending faults; the servers ask it about every request. */
export class FaultState {
  private latencyRules: { ms: number; scope: FaultScope }[] = [];
  private failures: CountedRule[] = [];
  private resets: CountedRule[] = [];
  private afterApplying: CountedRule[] = [];
  private hooks: { scope: FaultScope; action: () => void }[] = [];

  constructor(
    private readonly onDropStreams: () => void,
    private readonly onChangeLeader: (index?: number) => void,
    private readonly onAgent: (hostname: string, up: boolean) => void,
  ) {}

  readonly injector: FaultInjector = {
    latency: (ms, scope = {}) => {
      this.latencyRules = this.latencyRules.filter((r) => (r.scope.target ?? "marathon") !== (scope.target ?? "marathon") || r.scope.path !== scope.path);
      if (ms > 0) this.latencyRules.push({ ms, scope });
    },
    failNext: (count, options = {}) => {
      this.failures.push({ remaining: count, scope: options, status: options.status ?? 503, message: options.message });
    },
    resetNext: (count, scope = {}) => {
      this.resets.push({ remaining: count, scope });
    },
    answerAfterApplying: (count, answer, scope = {}) => {
      this.afterApplying.push({ remaining: count, scope, answer });
    },
    beforeNext: (scope, action) => {
      this.hooks.push({ scope, action });
    },
    dropEventStreams: () => this.onDropStreams(),
    changeLeader: (index) => this.onChangeLeader(index),
    agentDown: (hostname) => this.onAgent(hostname, false),
    agentUp: (hostname) => this.onAgent(hostname, true),
    clear: () => {
      this.latencyRules = [];
      this.failures = [];
      this.resets = [];
      this.afterApplying = [];
      this.hooks = [];
    },
  };

  decide(target: "marathon" | "mesos", path: string, method = "GET"): FaultDecision {
    const hook = this.hooks.find((h) => matches(h.scope, target, path, method));
    if (hook) {
      this.hooks = this.hooks.filter((h) => h !== hook);
      hook.action();
    }
    const latencyMs = this.latencyRules.filter((r) => matches(r.scope, target, path, method)).reduce((sum, r) => sum + r.ms, 0);
    const reset = this.resets.find((r) => r.remaining > 0 && matches(r.scope, target, path, method));
    if (reset) {
      reset.remaining--;
      return { kind: "reset", latencyMs };
    }
    const fail = this.failures.find((r) => r.remaining > 0 && matches(r.scope, target, path, method));
    if (fail) {
      fail.remaining--;
      const status = fail.status ?? 503;
      return { kind: "fail", latencyMs, status, message: fail.message ?? defaultMessage(status) };
    }
    const after = this.afterApplying.find((r) => r.remaining > 0 && matches(r.scope, target, path, method));
    if (after?.answer !== undefined) {
      after.remaining--;
      return { kind: "after", latencyMs, answer: after.answer };
    }
    return { kind: "none", latencyMs };
  }
}

function defaultMessage(status: number): string {
  if (status === 503) return "Service Unavailable (simulated)";
  // Marathon's words for a locked app, so clients that look for them find them.
  if (status === 409) return "App is locked by one or more deployments. Override with the option '?force=true'. (simulated)";
  return `Simulated failure ${status}`;
}
