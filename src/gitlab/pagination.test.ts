import { describe, expect, it } from "vitest";
import { nextPageUrl } from "./pagination.js";

const current = new URL("https://gitlab.example.com/api/v4/runners/all?status=stale&per_page=100&page=1");

describe("nextPageUrl", () => {
  it("follows Link rel=next", () => {
    const next = nextPageUrl(current, { link: '<https://gitlab.example.com/api/v4/runners/all?page=2&per_page=100&status=stale>; rel="next", <https://gitlab.example.com/api/v4/runners/all?page=1>; rel="first"' });
    expect(String(next)).toBe("https://gitlab.example.com/api/v4/runners/all?page=2&per_page=100&status=stale");
  });
  it("falls back to X-Next-Page when Link is absent, keeping the filters", () => {
    expect(String(nextPageUrl(current, { xNextPage: "2" }))).toBe("https://gitlab.example.com/api/v4/runners/all?status=stale&per_page=100&page=2");
  });
  it("stops on the last page (no Link next, empty X-Next-Page)", () => {
    expect(nextPageUrl(current, { link: '<https://gitlab.example.com/api/v4/runners/all?page=1>; rel="first"', xNextPage: "" })).toBeUndefined();
    expect(nextPageUrl(current, {})).toBeUndefined();
  });
  it("refuses a Link to another origin (the token would go with it)", () => {
    expect(nextPageUrl(current, { link: '<https://evil.example.net/api/v4/runners/all?page=2>; rel="next"' })).toEqual({ refused: 'Link rel="next" points to another origin (https://evil.example.net)' });
  });
});
