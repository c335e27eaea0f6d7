import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeServer, type FakeServer } from "./helpers/fake-server.js";
import { runAnsible } from "./fixtures/ansible/run-ansible.js";

// Real ansible-playbook (Debian ansible-core) driving mdeploy.marathon.marathon_app.
const PLAYBOOK = fileURLToPath(new URL("./fixtures/ansible/marathon-app.yml", import.meta.url));

interface ModuleResult {
  changed: boolean;
  failed?: boolean;
  msg?: string;
  changed_fields?: string[];
  deployment_id?: string;
  version?: string;
  app: Record<string, unknown>;
}

interface FakeApp {
  definition: Record<string, unknown>;
  version: string;
  runningVersion: string | null;
}

/**
 * A small stand-in for Marathon: a deployment ends after a few reads of /v2/deployments,
 * and only then do the app's tasks run the new version.
 */
async function startFakeMarathon(): Promise<FakeServer & { puts: number }> {
  const apps = new Map<string, FakeApp>();
  const deployments = new Map<string, { app: string; readsLeft: number }>();
  let clock = 0;
  let puts = 0;
  const nextVersion = () => new Date(Date.UTC(2026, 10, 22, 5, 0, clock++)).toISOString();
  const startDeployment = (app: string) => {
    const id = `deployment-${clock}`;
    deployments.set(id, { app, readsLeft: 3 });
    return id;
  };
  const appPath = /^\/v2\/apps(\/[a-z0-9/-]+?)(\/restart)?$/;
  const server = await startFakeServer([
    {
      method: "GET",
      path: "/v2/deployments",
      reply: () => {
        for (const [id, d] of deployments) {
          d.readsLeft -= 1;
          if (d.readsLeft > 0) continue;
          deployments.delete(id);
          const app = apps.get(d.app);
          if (app) app.runningVersion = app.version;
        }
        return { body: [...deployments].map(([id, d]) => ({ id, affectedApps: [d.app] })) };
      },
    },
    {
      method: "GET",
      path: appPath,
      reply: (req) => {
        const id = appPath.exec(req.url.pathname)?.[1] ?? "";
        const app = apps.get(id);
        if (!app) return { status: 404, body: { message: `App '${id}' does not exist` } };
        const instances = (app.definition.instances as number | undefined) ?? 1;
        const running = app.runningVersion === app.version ? instances : 0;
        return {
          body: { app: { ...app.definition, id, version: app.version, tasksRunning: running, tasksHealthy: 0, tasksStaged: 0, env: app.definition.env ?? {}, constraints: app.definition.constraints ?? [] } },
        };
      },
    },
    {
      method: "PUT",
      path: appPath,
      reply: (req) => {
        puts += 1;
        const id = appPath.exec(req.url.pathname)?.[1] ?? "";
        const body = JSON.parse(req.body) as Record<string, unknown>;
        const old = apps.get(id);
        const version = nextVersion();
        apps.set(id, { definition: { ...old?.definition, ...body }, version, runningVersion: old?.runningVersion ?? null });
        return { status: old ? 200 : 201, body: { deploymentId: startDeployment(id), version } };
      },
    },
    {
      method: "DELETE",
      path: appPath,
      reply: (req) => {
        const id = appPath.exec(req.url.pathname)?.[1] ?? "";
        apps.delete(id);
        return { body: { deploymentId: startDeployment(id), version: nextVersion() } };
      },
    },
  ]);
  return Object.assign(server, {
    get puts() {
      return puts;
    },
  });
}

describe("mdeploy.marathon.marathon_app driven by ansible-playbook", () => {
  let marathon: Awaited<ReturnType<typeof startFakeMarathon>>;
  let work: string;
  let runs = 0;

  async function apply(vars: Record<string, unknown>, flags: string[] = []): Promise<ModuleResult> {
    const resultFile = join(work, `result-${runs++}.json`);
    const extra = JSON.stringify({ marathon_url: marathon.url, app_id: "/click-count", result_file: resultFile, ...vars });
    const run = await runAnsible("ansible-playbook", ["-i", "localhost,", PLAYBOOK, "-e", extra, ...flags]);
    if (run.code !== 0) throw new Error(`ansible-playbook exited ${run.code}\n${run.stdout}\n${run.stderr}`);
    return JSON.parse(readFileSync(resultFile, "utf8")) as ModuleResult;
  }

  const definition = { cmd: "java -jar click-count.jar", mem: 300, cpus: 0.25, instances: 2, env: { GREETING: "hello" } };

  beforeAll(async () => {
    marathon = await startFakeMarathon();
    work = mkdtempSync(join(tmpdir(), "mdeploy-ansible-"));
  });
  afterAll(async () => {
    await marathon.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("creates the app and waits until its tasks run", async () => {
    const result = await apply({ app_definition: definition });
    expect(result.changed).toBe(true);
    expect(result.deployment_id).toMatch(/^deployment-/);
    expect(result.app).toMatchObject({ id: "/click-count", tasksRunning: 2, version: result.version });
  });

  it("reports changed: false and sends nothing when the definition already matches", async () => {
    const putsBefore = marathon.puts;
    const result = await apply({ app_definition: { ...definition, mem: 300.0, upgradeStrategy: { minimumHealthCapacity: 1 } } });
    expect(result).toMatchObject({ changed: false, changed_fields: [] });
    expect(marathon.puts).toBe(putsBefore);
  });

  it("in check mode reports the change and sends nothing", async () => {
    const putsBefore = marathon.puts;
    const result = await apply({ app_definition: { ...definition, instances: 3 } }, ["--check", "--diff"]);
    expect(result).toMatchObject({ changed: true, changed_fields: ["instances"] });
    expect(marathon.puts).toBe(putsBefore);
    expect(result.app).toMatchObject({ instances: 2 });
  });

  it("updates and waits for the rolling upgrade to finish", async () => {
    const result = await apply({ app_definition: { ...definition, env: { GREETING: "hi" } } });
    expect(result).toMatchObject({ changed: true, changed_fields: ["env"] });
    expect(result.app).toMatchObject({ env: { GREETING: "hi" }, tasksRunning: 2, version: result.version });
  });

  it("removes the app with state absent, then has nothing to do", async () => {
    expect(await apply({ app_state: "absent" })).toMatchObject({ changed: true, app: {} });
    expect(await apply({ app_state: "absent" })).toMatchObject({ changed: false });
    expect(marathon.unexpected).toEqual([]);
  });
});
