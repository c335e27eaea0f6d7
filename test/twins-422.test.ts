/**
 * Twins cross-check (src/sim/README.md "Twins"): Marathon's 422 rules live twice on
 * purpose, in src/validate (what `render` refuses before anything is sent) and in
 * src/sim/app-definition.ts (what the simulator answers). Each definition below must be
 * refused by both at the same field: one without the other means one twin drifted.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../src/sim/index.js";
import { validateApp } from "../src/validate/validate-app.js";

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(async () => {
  await sim.close();
});

const good = { id: "/web", cmd: "serve", cpus: 0.1, mem: 32, instances: 1 };

/** Marathon writes array steps as `(0)` in 422 paths; mdeploy as JSON pointers (`/0`). */
function asPointer(marathonPath: string): string {
  return marathonPath.replace(/\((\d+)\)/g, "/$1");
}

describe("422 twins: the validator and the simulator refuse the same definitions at the same field", () => {
  it.each<[string, Record<string, unknown>, string]>([
    ["upper-case id", { ...good, id: "/Web_App" }, "/id"],
    ["minimumHealthCapacity above 1", { ...good, upgradeStrategy: { minimumHealthCapacity: 1.2, maximumOverCapacity: 0 } }, "/upgradeStrategy/minimumHealthCapacity"],
    ["upgradeStrategy missing a field", { ...good, upgradeStrategy: { minimumHealthCapacity: 0.5 } }, "/upgradeStrategy/maximumOverCapacity"],
    ["an unknown constraint operator", { ...good, constraints: [["hostname", "SOMETIMES"]] }, "/constraints/0"],
    ["negative memory", { ...good, mem: -1 }, "/mem"],
    ["a health check addressing a port that is not there", { ...good, healthChecks: [{ protocol: "HTTP", portIndex: 3 }] }, "/healthChecks/0"],
    ["a single-instance app with 2 instances", { ...good, labels: { MARATHON_SINGLE_INSTANCE_APP: "true" }, upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0 }, instances: 2 }, "/instances"],
  ])("%s", async (_name, body, path) => {
    const local = validateApp(body).errors.map((e) => e.path);
    const response = await fetch(`${sim.marathonUrl}/v2/apps`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const answer = (await response.json()) as { details?: { path: string }[] };
    expect(response.status).toBe(422);
    const remote = (answer.details ?? []).map((d) => asPointer(d.path));
    expect(local.some((p) => p === path || p.startsWith(`${path}/`)), `validateApp paths: ${local.join(", ")}`).toBe(true);
    expect(remote.some((p) => p === path || p.startsWith(`${path}/`)), `simulator paths: ${remote.join(", ")}`).toBe(true);
  });
});
