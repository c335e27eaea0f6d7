import { describe, expect, it } from "vitest";
import { parseSrvr } from "./four-letter.js";

describe("parseSrvr", () => {
  it.each([
    { reply: "Zookeeper version: 3.8.0\nLatency min/avg/max: 0/0.0/0\nZxid: 0x100000004\nMode: follower\nNode count: 5\n", want: { mode: "follower", zxid: 0x100000004n } },
    { reply: "This ZooKeeper instance is not currently serving requests\n", want: { mode: null, zxid: null } },
    { reply: "srvr is not executed because it is not in the whitelist.\n", want: { mode: null, zxid: null } },
  ])("$want.mode", ({ reply, want }) => {
    expect(parseSrvr(reply)).toEqual(want);
  });
});
