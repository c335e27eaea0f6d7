import { describe, expect, it } from "vitest";
import { parseElectionReply } from "./election-probe.js";

/** A notification as ZooKeeper 3.8's FastLeaderElection builds it (state, leader, zxid, epochs, version 2, config). */
function notification(state: number, leader: bigint, zxid: bigint, peerEpoch: bigint, config: string | null): Buffer {
  const cfg = config === null ? null : Buffer.from(config);
  const b = Buffer.alloc(40 + (cfg ? 4 + cfg.length : 0));
  b.writeInt32BE(state, 0);
  b.writeBigInt64BE(leader, 4);
  b.writeBigInt64BE(zxid, 12);
  b.writeBigInt64BE(7n, 20);
  b.writeBigInt64BE(peerEpoch, 28);
  b.writeInt32BE(cfg ? 2 : 1, 36);
  if (cfg) {
    b.writeInt32BE(cfg.length, 40);
    cfg.copy(b, 44);
  }
  return b;
}

describe("parseElectionReply", () => {
  it("reads the vote, the epoch and the membership of a server that formed an ensemble", () => {
    const config = "server.1=127.0.0.1:1:2:participant;127.0.0.1:3\nversion=100000000";
    expect(parseElectionReply(notification(0, 1n, 0x100000002n, 1n, config))).toEqual({ state: "looking", votedFor: 1n, zxid: 0x100000002n, peerEpoch: 1n, config });
  });
  it("takes a following server's reply too, and refuses a body shorter than its fields", () => {
    expect(parseElectionReply(notification(1, 3n, 0n, 2n, "version=0"))?.state).toBe("following");
    expect(parseElectionReply(notification(2, 3n, 0n, 2n, "version=0").subarray(0, 30))).toBeNull();
    expect(parseElectionReply(notification(2, 3n, 0n, 2n, "version=0").subarray(0, 46))).toBeNull();
    expect(parseElectionReply(notification(2, 3n, 0n, 2n, null))).toMatchObject({ state: "leading", config: "" });
  });
});
