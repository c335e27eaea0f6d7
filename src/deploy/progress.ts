/**
 * How a deploy shows progress: one line rewritten in place on a terminal,
 * collapsible sections in GitLab CI logs, plain lines (only when something
 * changed) elsewhere. Everything goes through Output, so it is redacted.
 */
import type { Clock } from "../core/ports/clock.js";
import type { Output } from "../core/ports/output.js";
import type { Progress } from "../core/ports/progress.js";

export type ProgressMode = "tty" | "gitlab" | "plain";

/** Picks the mode the way CI users expect: GitLab when CI=true and GITLAB_CI is set, a terminal when stdout is one. */
export function progressModeFor(env: Record<string, string | undefined>, isTty: boolean): ProgressMode {
  if (env.GITLAB_CI === "true" || env.CI === "true") return "gitlab";
  return isTty ? "tty" : "plain";
}

/** Builds a progress reporter. */
export function createProgress(output: Output, mode: ProgressMode, clock: Clock): Progress {
  let pending = false;
  let last = "";
  const settle = () => {
    if (pending) {
      output.write("\n");
      pending = false;
    }
  };
  const seconds = () => Math.floor(clock.now() / 1000);
  return {
    start(id, title) {
      settle();
      last = "";
      // GitLab's section markers: https://docs.gitlab.com/ci/jobs/job_logs/#custom-collapsible-sections
      if (mode === "gitlab") output.write(`\u001b[0Ksection_start:${seconds()}:${id}[collapsed=false]\r\u001b[0K${title}\n`);
      else output.info(`== ${title}`);
    },
    line(text) {
      settle();
      output.info(text);
    },
    update(text) {
      if (text === last) return;
      last = text;
      if (mode === "tty") {
        output.write(`\r\u001b[2K${text}`);
        pending = true;
      } else output.info(text);
    },
    end(id) {
      settle();
      last = "";
      if (mode === "gitlab") output.write(`\u001b[0Ksection_end:${seconds()}:${id}\r\u001b[0K`);
    },
    settle,
  };
}
