import { afterEach, describe, expect, it } from "vitest";
import { startFakeServer, type FakeReply, type FakeRequest, type FakeServer } from "./helpers/fake-server.js";
import { runCli } from "./helpers/run-cli.js";
import { gitlabFixture, secretsIn } from "./gitlab-fakes.js";

const ADMIN_TOKEN = "glpat-admin-token-for-reaping-42";
const base = gitlabFixture<Record<string, unknown>>("runner-6.json");

interface FakeRunner {
  id: number;
  description: string;
  status: string;
  tags: string[];
  /** Defaults to a contact that fits the status. */
  contactedAt?: string | null;
}

/** 7 runners over 3 pages of 3: only 11 and 17 are stale, ours (prefix) and tagged marathon. */
const fleet: FakeRunner[] = [
  { id: 11, description: "marathon-staging-a", status: "stale", tags: ["marathon", "shell"] },
  { id: 12, description: "marathon-staging-b", status: "online", tags: ["marathon"] },
  { id: 13, description: "team-b-runner", status: "stale", tags: ["marathon"] },
  { id: 14, description: "marathon-prod-a", status: "stale", tags: ["docker"] },
  { id: 15, description: "marathon-prod-b", status: "offline", tags: ["marathon"] },
  { id: 16, description: "marathon-prod-c", status: "never_contacted", tags: ["marathon"] },
  { id: 17, description: "marathon-prod-d", status: "stale", tags: ["marathon"] },
];
const PAGE_SIZE = 3;
const HOUR = 3_600_000;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

/** As GitLab's offline filter returns them: paused runners report `paused`, 14.x ones `active`/`not_connected`. */
const statusFleet: FakeRunner[] = [
  { id: 21, description: "marathon-paused-old", status: "paused", tags: ["marathon"], contactedAt: ago(5 * HOUR) },
  { id: 22, description: "marathon-paused-recent", status: "paused", tags: ["marathon"], contactedAt: ago(HOUR / 2) },
  { id: 23, description: "marathon-active-14x", status: "active", tags: ["marathon"], contactedAt: ago(10 * 24 * HOUR) },
  { id: 24, description: "marathon-never-14x", status: "not_connected", tags: ["marathon"], contactedAt: null },
  { id: 25, description: "marathon-offline", status: "offline", tags: ["marathon"] },
  { id: 26, description: "marathon-never", status: "never_contacted", tags: ["marathon"], contactedAt: null },
  { id: 27, description: "marathon-online", status: "online", tags: ["marathon"] },
  { id: 28, description: "marathon-stale", status: "stale", tags: ["marathon"] },
];

const contactFor = (r: FakeRunner) =>
  r.contactedAt !== undefined ? r.contactedAt : r.status === "online" ? ago(HOUR / 4) : r.status === "offline" ? ago(3 * HOUR) : r.status === "stale" ? ago(30 * 24 * HOUR) : null;
const listRow = (r: FakeRunner) => ({
  id: r.id,
  description: r.description,
  ip_address: null,
  active: r.status !== "paused",
  paused: r.status === "paused",
  is_shared: true,
  runner_type: "instance_type",
  name: null,
  online: r.status === "online",
  status: r.status,
});
const details = (r: FakeRunner) => ({
  ...base,
  id: r.id,
  description: r.description,
  status: r.status,
  active: r.status !== "paused",
  paused: r.status === "paused",
  online: r.status === "online",
  contacted_at: contactFor(r),
  tag_list: r.tags,
});

let gitlab: FakeServer;
afterEach(async () => {
  expect(gitlab.unexpected).toEqual([]);
  await gitlab.close();
});

/**
 * A GitLab that paginates with Link headers and ignores the status/tag filters on purpose
 * (as if an older version did), so the test proves mdeploy filters by itself.
 */
async function startGitlab(listPath: string, failDeleteOf: number[] = [], options: { runners?: FakeRunner[]; paging?: "link" | "x-next-page"; deletable?: RegExp } = {}): Promise<FakeServer> {
  const runners = options.runners ?? fleet;
  const pages = Math.ceil(runners.length / PAGE_SIZE);
  const list = (request: FakeRequest): FakeReply => {
    if (request.headers["private-token"] !== ADMIN_TOKEN) return { status: 401, body: { message: "401 Unauthorized" } };
    const page = Number(request.url.searchParams.get("page") ?? "1");
    const rows = runners.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE).map(listRow);
    const headers: Record<string, string> = { "x-page": String(page), "x-per-page": String(PAGE_SIZE), "x-next-page": "" };
    if (page * PAGE_SIZE < runners.length) {
      const next = new URL(`${gitlab.url}${request.url.pathname}${request.url.search}`);
      next.searchParams.set("page", String(page + 1));
      // Without Link (a proxy stripped it, or GitLab left it out), X-Next-Page is all there is.
      if (options.paging !== "x-next-page") headers.link = `<${next.href}>; rel="next"`;
      headers["x-next-page"] = String(page + 1);
    }
    return { headers, body: rows };
  };
  gitlab = await startFakeServer([
    { method: "GET", path: listPath, times: pages, reply: list },
    { method: "GET", path: /^\/api\/v4\/runners\/\d+$/, reply: (request) => ({ body: details(runners.find((r) => `/api/v4/runners/${r.id}` === request.url.pathname) as FakeRunner) }) },
    {
      method: "DELETE",
      path: options.deletable ?? /^\/api\/v4\/runners\/(11|17)$/,
      reply: (request) => (failDeleteOf.some((id) => request.url.pathname.endsWith(`/${id}`)) ? { status: 403, body: { message: "403 Forbidden" } } : { status: 204 }),
    },
  ]);
  return gitlab;
}

const filterArgs = ["--status", "stale", "--tag", "marathon", "--description-prefix", "marathon-"];

describe("mdeploy runner-reap", () => {
  it("dry run by default: reads every page, prints what it would remove, deletes nothing", async () => {
    await startGitlab("/api/v4/runners/all");
    const run = await runCli(["runner-reap", ...filterArgs], { env: { GITLAB_URL: gitlab.url, GITLAB_TOKEN: ADMIN_TOKEN } });
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split("\n");
    expect(lines.filter((l) => l.startsWith("would remove"))).toEqual([
      'would remove runner 11 "marathon-staging-a" (stale, tags marathon,shell)',
      'would remove runner 17 "marathon-prod-d" (stale, tags marathon)',
    ]);
    expect(lines).toContain('kept runner 14 "marathon-prod-a" (stale, tags docker): lacks tag marathon');
    expect(lines.at(-1)).toBe("dry run: 2 runner(s) match; run again with --yes to remove them");
    const listCalls = gitlab.requests.filter((r) => r.url.pathname === "/api/v4/runners/all");
    expect(listCalls.map((r) => r.url.searchParams.get("page") ?? "1")).toEqual(["1", "2", "3"]);
    expect(listCalls[0]?.url.searchParams.get("status")).toBe("stale");
    expect(listCalls[0]?.url.searchParams.getAll("tag_list[]")).toEqual(["marathon"]);
    expect(gitlab.requests.filter((r) => r.method === "DELETE")).toEqual([]);
    expect(secretsIn(run.stdout + run.stderr, [ADMIN_TOKEN])).toEqual([]);
  });

  it("--yes removes exactly the matching runners and reports each", async () => {
    await startGitlab("/api/v4/runners/all");
    const run = await runCli(["runner-reap", ...filterArgs, "--yes"], { env: { GITLAB_URL: gitlab.url, GITLAB_TOKEN: ADMIN_TOKEN } });
    expect(run.code).toBe(0);
    expect(gitlab.requests.filter((r) => r.method === "DELETE").map((r) => r.url.pathname)).toEqual(["/api/v4/runners/11", "/api/v4/runners/17"]);
    expect(run.stdout).toContain('removed runner 11 "marathon-staging-a"');
    expect(run.stdout.trim().split("\n").at(-1)).toBe("removed 2 runner(s)");
  });

  it("offline includes stale; group scope uses the group endpoint", async () => {
    await startGitlab("/api/v4/groups/platform%2Fci/runners");
    const run = await runCli(["runner-reap", "--group", "platform/ci", "--status", "offline", "--description-prefix", "marathon-prod-", "--json"], {
      env: { GITLAB_URL: gitlab.url, GITLAB_TOKEN: ADMIN_TOKEN },
    });
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { dryRun: boolean; entries: { id: number; outcome: string }[] };
    expect(report.dryRun).toBe(true);
    expect(report.entries.filter((e) => e.outcome === "would-remove").map((e) => e.id)).toEqual([14, 15, 17]);
  });

  it("a failed removal is reported, the others still happen, and the exit code says so", async () => {
    await startGitlab("/api/v4/runners/all", [11]);
    const run = await runCli(["runner-reap", ...filterArgs, "--yes"], { env: { GITLAB_URL: gitlab.url, GITLAB_TOKEN: ADMIN_TOKEN } });
    expect(run.code).toBe(6);
    expect(run.stderr).toMatch(/failed to remove runner 11 .*403 Forbidden/);
    expect(run.stdout).toContain("removed runner 17");
    expect(run.stderr).toMatch(/mdeploy: removed 1 runner\(s\); 1 removal\(s\) failed/);
  });

  it("every status GitLab's list returns, judged against --status offline; pages by X-Next-Page when Link is absent", async () => {
    await startGitlab("/api/v4/runners/all", [], { runners: statusFleet, paging: "x-next-page", deletable: /^\/api\/v4\/runners\/(21|23|25|28)$/ });
    const run = await runCli(["runner-reap", "--status", "offline", "--tag", "marathon", "--yes", "--json"], { env: { GITLAB_URL: gitlab.url, GITLAB_TOKEN: ADMIN_TOKEN } });
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { entries: { id: number; outcome: string; detail?: string }[] };
    const outcome = Object.fromEntries(report.entries.map((e) => [e.id, e.outcome]));
    // Paused 5 h ago and 14.x "active" silent for 10 days are offline; paused 30 min ago, never contacted and online are not.
    expect(outcome).toEqual({ 21: "removed", 22: "kept", 23: "removed", 25: "removed", 28: "removed" });
    expect(gitlab.requests.filter((r) => r.url.pathname === "/api/v4/runners/all").map((r) => r.url.searchParams.get("page") ?? "1")).toEqual(["1", "2", "3"]);
    expect(gitlab.requests.filter((r) => r.method === "DELETE").map((r) => r.url.pathname)).toEqual(["/api/v4/runners/21", "/api/v4/runners/23", "/api/v4/runners/25", "/api/v4/runners/28"]);
  });

  it("--status stale keeps a paused runner that is only offline and takes a 14.x active one silent for 10 days", async () => {
    await startGitlab("/api/v4/runners/all", [], { runners: statusFleet });
    const run = await runCli(["runner-reap", "--status", "stale", "--tag", "marathon", "--json"], { env: { GITLAB_URL: gitlab.url, GITLAB_TOKEN: ADMIN_TOKEN } });
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { entries: { id: number; outcome: string; detail?: string }[] };
    expect(report.entries.filter((e) => e.outcome === "would-remove").map((e) => e.id)).toEqual([23, 28]);
    expect(report.entries.find((e) => e.id === 21)?.detail).toBe("status is paused, contact says offline");
  });

  describe("redirects do not take the API token to another host", () => {
    /** A server that must hear nothing: any request to it would carry PRIVATE-TOKEN if followed. */
    async function elsewhere(): Promise<FakeServer> {
      return startFakeServer([]);
    }

    it("a list page redirected to another host: not followed, nothing removed, exit non-zero", async () => {
      const other = await elsewhere();
      try {
        const target = `${other.url.replace("127.0.0.1", "localhost")}/api/v4/runners/all`;
        gitlab = await startFakeServer([{ method: "GET", path: "/api/v4/runners/all", times: 1, reply: () => ({ status: 302, headers: { location: target } }) }]);
        const run = await runCli(["runner-reap", ...filterArgs, "--yes"], { env: { GITLAB_URL: gitlab.url, GITLAB_TOKEN: ADMIN_TOKEN } });
        expect(other.requests.map((r) => `${r.method} ${r.url.pathname} token=${r.headers["private-token"] === ADMIN_TOKEN}`)).toEqual([]);
        expect(run.code).not.toBe(0);
        expect(run.stderr).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/api\/v4\/runners\/all.*: 302 .*redirect to http:\/\/localhost:\d+\/api\/v4\/runners\/all not followed/);
        expect(gitlab.requests.filter((r) => r.method === "DELETE")).toEqual([]);
        expect(secretsIn(run.stdout + run.stderr, [ADMIN_TOKEN])).toEqual([]);
      } finally {
        await other.close();
      }
    });

    it("a removal redirected (307) to another host: not followed, reported as failed", async () => {
      const other = await elsewhere();
      try {
        const target = `${other.url.replace("127.0.0.1", "localhost")}/api/v4/runners/11`;
        const stale = fleet.filter((r) => r.id === 11);
        gitlab = await startFakeServer([
          { method: "GET", path: "/api/v4/runners/all", times: 1, reply: () => ({ body: stale.map(listRow) }) },
          { method: "GET", path: "/api/v4/runners/11", reply: () => ({ body: details(stale[0] as FakeRunner) }) },
          { method: "DELETE", path: "/api/v4/runners/11", times: 1, reply: () => ({ status: 307, headers: { location: target } }) },
        ]);
        const run = await runCli(["runner-reap", ...filterArgs, "--yes"], { env: { GITLAB_URL: gitlab.url, GITLAB_TOKEN: ADMIN_TOKEN } });
        expect(other.requests.map((r) => `${r.method} ${r.url.pathname} token=${r.headers["private-token"] === ADMIN_TOKEN}`)).toEqual([]);
        expect(run.code).not.toBe(0);
        expect(run.stderr).toMatch(/failed to remove runner 11 .*307 .*not followed/);
      } finally {
        await other.close();
      }
    });
  });

  it.each([
    ["a Link rel=next pointing at the page just read", (self: string) => ({ link: `<${self}>; rel="next"` })],
    ["an X-Next-Page that never advances", () => ({ "x-next-page": "1" })],
  ])("%s: stops at the repeat instead of reading it again and again, nothing removed", async (_name, nextOf) => {
    gitlab = await startFakeServer([
      {
        method: "GET",
        path: "/api/v4/runners/all",
        reply: (request) => ({ headers: nextOf(`${gitlab.url}${request.url.pathname}${request.url.search}`), body: fleet.slice(0, 1).map(listRow) }),
      },
    ]);
    const run = await runCli(["runner-reap", ...filterArgs, "--yes"], { env: { GITLAB_URL: gitlab.url, GITLAB_TOKEN: ADMIN_TOKEN } });
    expect(gitlab.requests.length).toBeLessThanOrEqual(2);
    expect(run.code).toBe(6);
    expect(run.stderr).toMatch(/points back to a page already read; stopped listing/);
    expect(gitlab.requests.filter((r) => r.method === "DELETE")).toEqual([]);
  });

  it("a malformed GitLab URL is bad input (exit 2)", async () => {
    gitlab = await startFakeServer([]);
    const run = await runCli(["runner-reap", "--tag", "x"], { env: { GITLAB_URL: "http://[::1", GITLAB_TOKEN: ADMIN_TOKEN } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/GITLAB_URL "http:\/\/\[::1" is not a URL/);
  });

  it.each([
    [["runner-reap"], /give --tag or --description-prefix/],
    [["runner-reap", "--tag", "x", "--status", "online"], /--status must be stale or offline/],
    [["runner-reap", "--tag", "x", "--scope", "group"], /--scope group needs --group/],
  ])("bad usage %j: exit 2, nothing sent", async (args, message) => {
    gitlab = await startFakeServer([]);
    const run = await runCli(args, { env: { GITLAB_URL: gitlab.url, GITLAB_TOKEN: ADMIN_TOKEN } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(gitlab.requests).toEqual([]);
  });
});
