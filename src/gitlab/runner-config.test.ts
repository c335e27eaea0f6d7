import { describe, expect, it } from "vitest";
import { metricsUrlFromListenAddress, parseRunnerConfig } from "./runner-config.js";

describe("parseRunnerConfig", () => {
  it("reads listen_address and each runner's id, url and token", () => {
    const toml = [
      "concurrent = 2",
      'listen_address = ":9252" # metrics',
      "",
      "[session_server]",
      '  listen_address = "[::]:8093"',
      "",
      "[[runners]]",
      '  name = "marathon"',
      '  url = "https://gitlab.example.com"',
      "  id = 42",
      '  token = "glrt-not-a-real-token"',
      '  executor = "shell"',
      "  [runners.cache]",
      '    token = "ignored"',
    ].join("\n");
    expect(parseRunnerConfig(toml)).toEqual({
      listenAddress: ":9252",
      runners: [{ name: "marathon", url: "https://gitlab.example.com", id: 42, token: "glrt-not-a-real-token" }],
    });
  });
});

describe("metricsUrlFromListenAddress", () => {
  it.each([
    [":9252", "http://127.0.0.1:9252/metrics"],
    ["0.0.0.0:9252", "http://127.0.0.1:9252/metrics"],
    ["[::]:9252", "http://127.0.0.1:9252/metrics"],
    ["10.0.0.5:9000", "http://10.0.0.5:9000/metrics"],
    ["nonsense", undefined],
  ])("%s", (address, url) => {
    expect(metricsUrlFromListenAddress(address)).toBe(url);
  });
});
