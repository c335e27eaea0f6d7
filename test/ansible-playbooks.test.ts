import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { ANSIBLE_DIR, runAnsible } from "./fixtures/ansible/run-ansible.js";

// ansible-doc shows the module's documentation, every playbook passes --syntax-check, and
// the traefik_node role writes configuration Traefik accepts.

const STUBS = fileURLToPath(new URL("./fixtures/ansible/stub-collections", import.meta.url));
const ROLE_PLAYBOOK = fileURLToPath(new URL("./fixtures/ansible/traefik-node.yml", import.meta.url));
const PLAYBOOKS = readdirSync(join(ANSIBLE_DIR, "playbooks")).filter((f) => f.endsWith(".yml"));

// Each ansible-playbook run takes seconds, more on a busy machine.
describe("the Ansible collection and playbooks", { timeout: 120_000 }, () => {
  it("ansible-doc renders marathon_app's options, examples and return values", async () => {
    // ansible-doc exits 0 even for an unknown module: the JSON must hold the module's key.
    const run = await runAnsible("ansible-doc", ["-j", "mdeploy.marathon.marathon_app"]);
    expect(run.code, run.stderr).toBe(0);
    const doc = (JSON.parse(run.stdout) as Record<string, { doc: { options: Record<string, { default?: unknown }> }; examples: string; return: object }>)[
      "mdeploy.marathon.marathon_app"
    ];
    expect(doc).toBeDefined();
    expect(Object.keys(doc?.doc.options ?? {})).toEqual(
      expect.arrayContaining(["url", "app_id", "definition", "state", "wait_timeout", "validate_certs", "ca_path", "url_username", "url_password", "token"]),
    );
    expect(doc?.doc.options.validate_certs?.default).toBe(true);
    expect(doc?.examples).toContain("mdeploy.marathon.marathon_app:");
    expect(Object.keys(doc?.return ?? {})).toEqual(expect.arrayContaining(["app", "deployment_id", "version", "changed_fields"]));
    const text = await runAnsible("ansible-doc", ["mdeploy.marathon.marathon_app"]);
    expect(text.stdout).toContain("MDEPLOY.MARATHON.MARATHON_APP");
  });

  it("passes ansible-test's sanity checks that run offline, as an upstream contribution would", { timeout: 60_000 }, async () => {
    // ansible-test wants the collection at .../ansible_collections/<namespace>/<name> and writes
    // tests/output there, so it runs on a copy. The skipped tests need pip and PyPI.
    const root = mkdtempSync(join(tmpdir(), "mdeploy-ansible-test-"));
    try {
      const collection = join(root, "ansible_collections", "mdeploy", "marathon");
      cpSync(join(ANSIBLE_DIR, "ansible_collections", "mdeploy", "marathon"), collection, { recursive: true });
      const needPip = ["ansible-doc", "import", "pep8", "pylint", "runtime-metadata", "validate-modules", "yamllint"];
      const run = await runAnsible("ansible-test", ["sanity", "--python", "3.11", ...needPip.flatMap((t) => ["--skip-test", t])], { cwd: collection });
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      expect(run.stdout).toContain('Running sanity test "metaclass-boilerplate"');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("finds a playbook for every part of the cluster", () => {
    expect(PLAYBOOKS).toEqual(expect.arrayContaining(["site.yml", "known-hosts.yml", "security-groups.yml", "zookeeper.yml", "traefik.yml", "gitlab-runner.yml", "click-count.yml"]));
  });

  it("ansible-playbook --syntax-check passes on every playbook", async () => {
    const run = await runAnsible(
      "ansible-playbook",
      ["--syntax-check", "-i", join(ANSIBLE_DIR, "inventory", "hosts.example.ini"), ...PLAYBOOKS.map((p) => join(ANSIBLE_DIR, "playbooks", p))],
      // amazon.aws is not part of ansible-core: a stand-in lets the syntax check resolve it.
      { extraCollections: [STUBS] },
    );
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    // One "playbook: <path>" line per playbook checked.
    expect(run.stdout.match(/^playbook: /gm)).toHaveLength(PLAYBOOKS.length);
  });
});

// Each ansible-playbook run takes seconds, more on a busy machine.
describe("roles/traefik_node", { timeout: 120_000 }, () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "mdeploy-traefik-node-"));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const site = { marathon_url: "https://marathon.internal:8443", traefik_marathon_password: 'pa"ss\\word', traefik_apps_domain: "10-0-0-5.sslip.io" };
  let applied: Awaited<ReturnType<typeof runAnsible>>;
  beforeAll(async () => {
    applied = await runAnsible("ansible-playbook", ["-i", "localhost,", ROLE_PLAYBOOK, "-e", JSON.stringify({ ...site, traefik_config_root: work })]);
  }, 120_000);

  it("writes a v2.11 static configuration that still validates, with this site's Marathon and domain", () => {
    expect(applied.code, applied.stdout).toBe(0);
    expect(applied.stdout).not.toContain('pa"ss');
    const config = parseYaml(readFileSync(join(work, "2.11", "traefik.yml"), "utf8")) as { providers: { marathon: Record<string, unknown> } };
    const ajv = new Ajv({ strict: false });
    const schema = JSON.parse(readFileSync(fileURLToPath(new URL("./fixtures/schemas/traefik-v2.json", import.meta.url)), "utf8")) as object;
    expect(ajv.validate(schema, config), JSON.stringify(ajv.errors)).toBe(true);
    expect(config.providers.marathon).toMatchObject({
      endpoint: "https://marathon.internal:8443",
      exposedByDefault: false,
      defaultRule: "Host(`{{ normalize .Name }}.10-0-0-5.sslip.io`)",
      basic: { httpBasicAuthUser: "traefik", httpBasicPassword: 'pa"ss\\word' },
    });
    expect(readdirSync(join(work, "2.11", "dynamic")).sort()).toEqual(["gitlab-registry.yml", "tls.yml"]);
  });

  it("writes the v1.7 TOML the Traefik app mounts, with the password quoted safely", () => {
    expect(applied.code, applied.stdout).toBe(0);
    const json = execFileSync("python3", ["-c", "import json,sys,tomllib; print(json.dumps(tomllib.load(open(sys.argv[1],'rb'))))", join(work, "1.7", "traefik.toml")], {
      encoding: "utf8",
    });
    expect((JSON.parse(json) as { marathon: unknown }).marathon).toMatchObject({
      endpoint: "https://marathon.internal:8443",
      domain: "10-0-0-5.sslip.io",
      exposedByDefault: false,
      basic: { httpBasicPassword: 'pa"ss\\word' },
    });
  });

  it("refuses to send Marathon credentials over plain HTTP", async () => {
    const run = await runAnsible("ansible-playbook", [
      "-i",
      "localhost,",
      ROLE_PLAYBOOK,
      "-e",
      JSON.stringify({ ...site, marathon_url: "http://marathon.internal:8080", traefik_config_root: join(work, "plain"), traefik_versions: ["2.11"] }),
    ]);
    expect(run.code).not.toBe(0);
    expect(run.stdout).toContain("only over TLS");
  });
});
