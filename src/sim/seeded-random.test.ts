import { describe, expect, it } from "vitest";
import { createSeededRandom } from "./seeded-random.js";

describe("createSeededRandom", () => {
  it("repeats for a seed and differs across seeds", () => {
    const a = createSeededRandom(7);
    const b = createSeededRandom(7);
    const c = createSeededRandom(8);
    const ids = [a.uuid(), a.uuid()];
    expect([b.uuid(), b.uuid()]).toEqual(ids);
    expect(c.uuid()).not.toBe(ids[0]);
    expect(ids[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
