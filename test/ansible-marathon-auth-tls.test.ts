import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultCluster, startSimulator, type Simulator } from "../src/sim/index.js";
import { runAnsible } from "./fixtures/ansible/run-ansible.js";

// marathon_app against a Marathon that wants HTTP basic auth (the simulator with
// --http_credentials) behind TLS with a private CA: certificates are verified by default.

const PLAYBOOK = fileURLToPath(new URL("./fixtures/ansible/marathon-app.yml", import.meta.url));
const PASSWORD = "correct-horse-battery";

// Each ansible-playbook run takes seconds, more on a busy machine.
describe("marathon_app with Marathon auth and TLS", { timeout: 120_000 }, () => {
  let sim: Simulator;
  let tls: Server;
  let url: string;
  let work: string;
  let ca: string;
  let runs = 0;

  beforeAll(async () => {
    sim = await startSimulator({ cluster: { ...defaultCluster(), credentials: { username: "deployer", password: PASSWORD } }, speed: 200 });
    work = mkdtempSync(join(tmpdir(), "mdeploy-ansible-tls-"));
    ca = join(work, "ca.pem");
    const key = join(work, "key.pem");
    // A self-signed certificate for 127.0.0.1 stands in for the cluster's private CA.
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", ca], {
      stdio: "ignore",
    });
    const upstream = new URL(sim.marathonUrl);
    // TLS terminates here and every request goes on to the simulator unchanged.
    tls = createServer({ key: readFileSync(key), cert: readFileSync(ca) }, (req, res) => {
      const forward = httpRequest({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      forward.on("error", () => res.writeHead(502).end());
      req.pipe(forward);
    });
    await new Promise<void>((resolve) => tls.listen(0, "127.0.0.1", resolve));
    url = `https://127.0.0.1:${(tls.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    tls?.closeAllConnections();
    await new Promise<void>((resolve) => (tls ? tls.close(() => resolve()) : resolve()));
    await sim?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  async function apply(vars: Record<string, unknown>) {
    const resultFile = join(work, `result-${runs++}.json`);
    const definition = { cmd: "sleep 3600", cpus: 0.1, mem: 32, instances: 1 };
    const extra = { marathon_url: url, app_id: "/secured", app_definition: definition, result_file: resultFile, expect_failure: true, ...vars };
    const run = await runAnsible("ansible-playbook", ["-i", "localhost,", PLAYBOOK, "-e", JSON.stringify(extra)]);
    expect(run.code, run.stdout).toBe(0);
    return { output: `${run.stdout}${run.stderr}`, result: JSON.parse(readFileSync(resultFile, "utf8")) as { changed: boolean; failed?: boolean; msg?: string } };
  }

  it("verifies Marathon's certificate by default and refuses an unknown CA", async () => {
    const { result } = await apply({ marathon_username: "deployer", marathon_password: PASSWORD });
    expect(result.failed).toBe(true);
    expect(result.msg).toMatch(/CERTIFICATE_VERIFY_FAILED|certificate verify failed/i);
    expect(sim.state.app("/secured")).toBeUndefined();
  });

  it("rejects wrong credentials with Marathon's 401, without printing the password", async () => {
    const { result, output } = await apply({ marathon_username: "deployer", marathon_password: "wrong-password-xyz", marathon_ca: ca });
    expect(result.failed).toBe(true);
    expect(result.msg).toMatch(/ 401 /);
    expect(output).not.toContain("wrong-password-xyz");
    expect(sim.state.app("/secured")).toBeUndefined();
  });

  it("deploys with the right credentials over TLS verified against the cluster's CA", async () => {
    const { result, output } = await apply({ marathon_username: "deployer", marathon_password: PASSWORD, marathon_ca: ca });
    expect(result).toMatchObject({ changed: true });
    expect(result.failed).toBeFalsy();
    expect(output).not.toContain(PASSWORD);
    expect(sim.state.healthyCount("/secured")).toBe(1);
  });
});
