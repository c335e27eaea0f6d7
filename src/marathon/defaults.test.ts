import { describe, expect, it } from "vitest";
import { normalizeApp as planView } from "../plan/normalize-app.js";
import { normalizeApp as simulatorView } from "../sim/app-definition.js";
import { APP_DEFAULTS, HEALTH_CHECK_TIMING_DEFAULTS, READINESS_CHECK_DEFAULTS } from "./defaults.js";

describe("Marathon's defaults, one table for the simulator and the planner", () => {
  const bare = {
    id: "/x",
    container: { docker: { image: "img:1" } },
    healthChecks: [{ protocol: "HTTP" as const }],
    readinessChecks: [{}],
    portDefinitions: [{ port: 0 }],
  };
  const filled = simulatorView(bare);

  it("the simulator fills every default in the table", () => {
    for (const [key, value] of Object.entries(APP_DEFAULTS)) if (!(key in bare)) expect(filled[key], key).toEqual(value);
    expect(filled.healthChecks?.[0]).toMatchObject(HEALTH_CHECK_TIMING_DEFAULTS);
    expect(filled.readinessChecks?.[0]).toEqual(READINESS_CHECK_DEFAULTS);
  });

  it("what the simulator filled in is no change to the planner's diff", () => {
    expect(planView(filled)).toEqual(planView(bare));
  });

  it("filling defaults never shares the table's arrays with an app", () => {
    const again = simulatorView(bare);
    again.readinessChecks?.[0]?.httpStatusCodesForReady?.push(204);
    again.constraints?.push(["a", "UNIQUE"]);
    expect(READINESS_CHECK_DEFAULTS.httpStatusCodesForReady).toEqual([200]);
    expect(APP_DEFAULTS.constraints).toEqual([]);
  });
});
