import { describe, expect, it } from "vitest";
import { samplesOf } from "./gates.js";
import { canarySteps } from "./progressive-plan.js";
import { defaultPreviewHost, previewLabels, sharedServiceProblem, withoutTraffic, withTrafficAgain } from "./traefik-labels.js";

const V2 = {
  "traefik.enable": "true",
  "traefik.http.routers.shop.rule": "Host(`shop.example.com`)",
  "traefik.http.routers.shop.service": "shop",
  "traefik.http.routers.shop.tls": "true",
  "traefik.http.services.shop.loadbalancer.server.port": "index:0",
};

describe("canarySteps", () => {
  it.each<[string, number, number[], "percent" | "instances", [number, number, number][]]>([
    ["quarters of 4", 4, [25, 50, 100], "percent", [[1, 3, 25], [2, 2, 50]]],
    ["a tenth of 4 is still one instance", 4, [10, 50, 100], "percent", [[1, 3, 25], [2, 2, 50]]],
    ["one instance: the stable one stays until the promotion", 1, [10, 50, 100], "percent", [[1, 1, 50]]],
    ["steps that round to the same counts are one step", 10, [1, 2, 5, 100], "percent", [[1, 9, 10]]],
    ["instance counts", 6, [1, 3], "instances", [[1, 5, 17], [3, 3, 50]]],
    ["a count of every instance is the promotion", 3, [1, 3], "instances", [[1, 2, 33]]],
    ["no 100: the promotion still follows the last step", 4, [50], "percent", [[2, 2, 50]]],
  ])("%s", (_name, instances, steps, stepUnit, expected) => {
    expect(canarySteps(instances, { steps, stepUnit }).map((s) => [s.canary, s.stable, s.share])).toEqual(expected);
  });
});

describe("Traefik labels", () => {
  it("a shared service is needed, named by v2 services or a v1.7 backend", () => {
    expect(sharedServiceProblem(V2, "/shop")).toBeUndefined();
    expect(sharedServiceProblem({ "traefik.enable": "true", "traefik.frontend.rule": "Host:shop.example.com", "traefik.backend": "shop" }, "/shop")).toBeUndefined();
    expect(sharedServiceProblem({ "traefik.enable": "true", "traefik.http.routers.shop.rule": "Host(`shop.example.com`)" }, "/shop")).toMatch(/does not name its Traefik service/);
    expect(sharedServiceProblem({ "traefik.enable": "false" }, "/traefik")).toMatch(/traefik\.enable=false/);
    expect(sharedServiceProblem({ "traefik.enable": "true" }, "/shop")).toMatch(/no Traefik rule/);
  });

  it("preview labels rename every router and service and route only the preview Host", () => {
    expect(previewLabels(V2, "preview.shop.example.com")).toEqual({
      "traefik.enable": "true",
      "traefik.http.routers.shop-preview.rule": "Host(`preview.shop.example.com`)",
      "traefik.http.routers.shop-preview.service": "shop-preview",
      "traefik.http.routers.shop-preview.tls": "true",
      "traefik.http.services.shop-preview.loadbalancer.server.port": "index:0",
    });
    expect(previewLabels({ "traefik.frontend.rule": "Host:shop.example.com", "traefik.backend": "shop" }, "p.example.com")).toEqual({ "traefik.frontend.rule": "Host:p.example.com", "traefik.backend": "shop-preview" });
    expect(defaultPreviewHost(V2)).toBe("preview.shop.example.com");
  });

  it("a standby leaves Traefik and comes back as it was", () => {
    expect(withTrafficAgain(withoutTraffic(V2))).toEqual(V2);
    const { "traefik.enable": _enable, ...exposedByDefault } = V2;
    expect(withoutTraffic(exposedByDefault)["traefik.enable"]).toBe("false");
    expect(withTrafficAgain(withoutTraffic(exposedByDefault))).toEqual(exposedByDefault);
  });
});

describe("samplesOf (Prometheus instant query answers)", () => {
  it.each<[string, unknown, number[] | RegExp]>([
    ["a scalar", { status: "success", data: { resultType: "scalar", result: [1, "0.25"] } }, [0.25]],
    ["a vector", { status: "success", data: { resultType: "vector", result: [{ metric: {}, value: [1, "1"] }, { metric: {}, value: [1, "2.5"] }] } }, [1, 2.5]],
    ["no sample", { status: "success", data: { resultType: "vector", result: [] } }, /no sample/],
    ["an error", { status: "error", errorType: "bad_data", error: "parse error at char 4" }, /query failed: parse error at char 4/],
    ["a matrix", { status: "success", data: { resultType: "matrix", result: [] } }, /expected a scalar or vector result, got matrix/],
    ["NaN", { status: "success", data: { resultType: "scalar", result: [1, "NaN"] } }, /not a number/],
  ])("%s", (_name, body, expected) => {
    const values = samplesOf(JSON.stringify(body));
    if (expected instanceof RegExp) expect(values).toMatch(expected);
    else expect(values).toEqual(expected);
  });

  it("an answer that is not JSON", () => {
    expect(samplesOf("<html>")).toBe("the answer is not JSON");
  });
});
