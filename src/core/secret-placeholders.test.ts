import { describe, expect, it } from "vitest";
import { ConfigError } from "../errors.js";
import { createRedactor } from "./redact.js";
import { findSecretPlaceholders, resolveSecretPlaceholders, secretPlaceholder } from "./secret-placeholders.js";

/** The rule of an environment whose mdeploy.yml allows no empty secret. */
const NONE_EMPTY = { environment: "staging", emptySecretsAllowed: [] };

const app = {
  id: "/click-count",
  env: {
    REDIS_PASSWORD: secretPlaceholder("REDIS_PASSWORD"),
    REDIS_URL: `redis://:${secretPlaceholder("REDIS_PASSWORD")}@redis:6379`,
    PLAIN: "value",
  },
  labels: { token: secretPlaceholder("API_TOKEN") },
  instances: 2,
};

describe("secret placeholders", () => {
  it("lists the variables an artifact needs", () => {
    expect(findSecretPlaceholders(app)).toEqual(["API_TOKEN", "REDIS_PASSWORD"]);
  });

  it("fills in values from the environment, inside longer strings too, and registers them with the redactor", () => {
    const redactor = createRedactor();
    const resolved = resolveSecretPlaceholders(app, { REDIS_PASSWORD: "s3cret-redis", API_TOKEN: "tok-12345" }, redactor, NONE_EMPTY);
    expect(resolved.env).toEqual({ REDIS_PASSWORD: "s3cret-redis", REDIS_URL: "redis://:s3cret-redis@redis:6379", PLAIN: "value" });
    expect(resolved.labels.token).toBe("tok-12345");
    expect(resolved.instances).toBe(2);
    expect(app.env.REDIS_PASSWORD).toBe("[[mdeploy-secret:REDIS_PASSWORD]]");
    expect(redactor.redact(JSON.stringify(resolved))).not.toMatch(/s3cret-redis|tok-12345/);
  });

  it("names the unset variable and where the artifact uses it", () => {
    expect(() => resolveSecretPlaceholders(app, { API_TOKEN: "tok-12345" }, createRedactor(), NONE_EMPTY)).toThrow(
      new ConfigError("secret variable REDIS_PASSWORD is not set in the environment; the artifact needs it at /env/REDIS_PASSWORD, /env/REDIS_URL"),
    );
  });

  it("lists every unset variable", () => {
    try {
      resolveSecretPlaceholders(app, {}, createRedactor(), NONE_EMPTY);
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).message).toBe("2 secret variables are not set in the environment");
      expect((error as ConfigError).details).toEqual(["REDIS_PASSWORD (used at /env/REDIS_PASSWORD, /env/REDIS_URL)", "API_TOKEN (used at /labels/token)"]);
    }
  });

  it("leaves text that only looks similar alone", () => {
    const value = { a: "[[mdeploy-secret:]]", b: "[mdeploy-secret:X]", c: "{{mdeploy-secret:X}}" };
    expect(findSecretPlaceholders(value)).toEqual([]);
    expect(resolveSecretPlaceholders(value, {}, createRedactor(), NONE_EMPTY)).toEqual(value);
  });

  it("refuses an empty value, naming the variable and the environment, never a value", () => {
    expect(() => resolveSecretPlaceholders(app, { REDIS_PASSWORD: "", API_TOKEN: "tok-12345" }, createRedactor(), NONE_EMPTY)).toThrow(
      new ConfigError("staging: secret variable REDIS_PASSWORD is empty; set it, or allow an empty value in mdeploy.yml (secrets: [{ name: REDIS_PASSWORD, allowEmpty: true }])"),
    );
    try {
      resolveSecretPlaceholders(app, { REDIS_PASSWORD: "", API_TOKEN: "" }, createRedactor(), NONE_EMPTY);
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).message).toMatch(/^staging: secret variables API_TOKEN, REDIS_PASSWORD are empty; set them,/);
      expect((error as ConfigError).details).toEqual([]);
    }
  });

  it("sends an empty value the config allows", () => {
    const resolved = resolveSecretPlaceholders(app, { REDIS_PASSWORD: "", API_TOKEN: "tok-12345" }, createRedactor(), { environment: "staging", emptySecretsAllowed: ["REDIS_PASSWORD"] });
    expect(resolved.env.REDIS_URL).toBe("redis://:@redis:6379");
  });
});
