/**
 * `status` and `history` learn the app id without validating the whole app
 * (issue 13, item 9: full validation was most of their start-up). The id must
 * be the one deploy sends: checked on every shipped example, and end to end
 * with a template whose id is fine but whose rest Marathon would reject.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/load-config.js";
import { createRedactor } from "../src/core/redact.js";
import { renderEnvironment, renderEnvironmentAppId } from "../src/render/render-environment.js";
import { defaultCluster, startSimulator, type Simulator } from "../src/sim/index.js";
import { clickCountTemplate, cliAgainst, closeAfterEach, scratchDirectories } from "./helpers/cli-project.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CONFIG = "environments:\n  staging:\n    template: app.json.hbs\n";

let sim: Simulator | undefined;
closeAfterEach(() => sim);
const scratch = scratchDirectories("mdeploy-app-id-");

describe("the app id without full validation", () => {
  const examples = [
    { config: "mdeploy.yml", environments: ["staging", "production"] },
    { config: "marathon/cluster.mdeploy.yml", environments: ["gitlab-runner", "traefik"] },
  ];
  const ciVariables = [{}, { CI_REGISTRY_IMAGE: "registry.example.com/demo/click-count", CI_COMMIT_SHA: "0123abcd", CI_COMMIT_TAG: "1.2.0", GITLAB_RUNNER_TOKEN: "glrt-example-token" }];

  it("is the id deploy renders, for every shipped example environment", async () => {
    let compared = 0;
    for (const { config: file, environments } of examples) {
      for (const env of ciVariables) {
        const config = await loadConfig({ cwd: ROOT, file, env, redactor: createRedactor() });
        for (const environment of environments) {
          const deployed = (await renderEnvironment(config, environment, { env, cwd: ROOT })).app.id;
          expect(await renderEnvironmentAppId(config, environment, { env, cwd: ROOT })).toBe(deployed);
          compared++;
        }
      }
    }
    expect(compared).toBe(8);
  });

  it("lets status and history report an app whose template no longer passes validation", async () => {
    sim = await startSimulator({ cluster: defaultCluster(), speed: 200 });
    const dir = await scratch.project({ "mdeploy.yml": CONFIG, "app.json.hbs": clickCountTemplate() });
    const deployed = await cliAgainst(sim, dir, ["deploy", "staging", "--no-image-check", "--dotenv", ""], { CI_COMMIT_TAG: "1.0.0" });
    expect(deployed.code).toBe(0);
    // A label value must be a string: render (and so deploy) refuses this template from now on.
    await writeFile(path.join(dir, "app.json.hbs"), clickCountTemplate({ labels: '{ "team": 7 }' }));
    const render = await cliAgainst(sim, dir, ["render", "staging"], { CI_COMMIT_TAG: "1.1.0" });
    expect(render.code).toBe(2);
    expect(render.stderr).toContain("/labels/team");

    const status = await cliAgainst(sim, dir, ["status", "staging"], { CI_COMMIT_TAG: "1.1.0" });
    expect(status.stdout).toContain("/staging/click-count");
    expect(status.stdout).toContain("click-count:1.0.0");
    expect(status.code).toBe(0);
    const history = await cliAgainst(sim, dir, ["history", "staging"], { CI_COMMIT_TAG: "1.1.0" });
    expect(history.code).toBe(0);
    expect(history.stdout).toMatch(/click-count:1\.0\.0.*<- runs now/);
  });

  it("still refuses an id Marathon would refuse, naming the template line", async () => {
    sim = await startSimulator({ cluster: defaultCluster(), speed: 200 });
    const dir = await scratch.project({ "mdeploy.yml": CONFIG, "app.json.hbs": clickCountTemplate({ id: '"/Staging/click-count"' }) });
    for (const command of ["status", "history"]) {
      const run = await cliAgainst(sim, dir, [command, "staging"], { CI_COMMIT_TAG: "1.0.0" });
      expect(run.code).toBe(2);
      expect(run.stderr.trim()).toBe('mdeploy: app.json.hbs:2:9 (staging): /id: invalid app id "/Staging/click-count": segment "Staging" may only contain lower-case letters, digits, "-" and ".", and may not start or end with "-" or "."');
    }
  });

  it("takes the id from --artifact only when the file is this environment's", async () => {
    sim = await startSimulator({ cluster: defaultCluster(), speed: 200 });
    const dir = await scratch.project({ "mdeploy.yml": CONFIG, "app.json.hbs": clickCountTemplate(), "marathon_app_production.json": '{ "id": "/production/click-count" }\n' });
    const run = await cliAgainst(sim, dir, ["status", "staging", "--artifact", "marathon_app_production.json"], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('marathon_app_production.json is the artifact of environment "production", not "staging"');
  });
});
