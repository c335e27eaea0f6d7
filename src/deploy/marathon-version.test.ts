import { describe, expect, it } from "vitest";
import { MarathonApiError, MarathonAuthError } from "../marathon/client.js";
import { marathonVersion } from "./plan-deploy.js";

const failing = (error: Error) => ({ getInfo: () => Promise.reject(error) });

describe("marathonVersion", () => {
  it("reads the version /v2/info reports", async () => {
    await expect(marathonVersion({ getInfo: () => Promise.resolve({ version: "1.9.109" }) as never })).resolves.toBe("1.9.109");
  });

  it.each([404, 503, 599])("an HTTP %i on /v2/info costs only the version (the planner then assumes 1.10+)", async (status) => {
    await expect(marathonVersion(failing(new MarathonApiError("GET", "http://m/v2/info", status, "x", "", [], undefined)))).resolves.toBeUndefined();
  });

  it("wrong credentials are not about the version: they surface", async () => {
    const denied = new MarathonAuthError("401 from Marathon", [], 401);
    await expect(marathonVersion(failing(denied))).rejects.toBe(denied);
  });
});
