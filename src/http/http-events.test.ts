import { describe, expect, it } from "vitest";
import { eventUrl, formatHttpEvent } from "./http-events.js";

describe("URLs in --debug lines", () => {
  it("hide user info and the values of secret-looking query parameters, keep the rest", () => {
    expect(eventUrl("https://ci:pw@gitlab.example.com/api/v4/runners?private_token=glpat-x&status=offline")).toBe(
      "https://gitlab.example.com/api/v4/runners?private_token=REDACTED&status=offline",
    );
    expect(eventUrl("http://runner:9252/metrics?access_token=a&token=b&X-Amz-Signature=c")).toBe("http://runner:9252/metrics?access_token=REDACTED&token=REDACTED&X-Amz-Signature=REDACTED");
    expect(eventUrl("http://m:8080/v2/apps/web?embed=app.readiness")).toBe("http://m:8080/v2/apps/web?embed=app.readiness");
  });

  it("one line per exchange: method, URL, status or failure, milliseconds", () => {
    expect(formatHttpEvent({ kind: "exchange", method: "HEAD", url: "http://r/v2/a/manifests/1", ms: 12.4, status: 401, statusText: "Unauthorized" })).toBe("http: HEAD http://r/v2/a/manifests/1 -> 401 Unauthorized (12 ms)");
    expect(formatHttpEvent({ kind: "exchange", method: "GET", url: "http://r/", ms: 3, failure: "connection refused" })).toBe("http: GET http://r/ -> connection refused (3 ms)");
  });
});
