import { describe, expect, it } from "vitest";
import { UnreachableError } from "../../errors.js";
import { DEFAULT_PORTS } from "../peers.js";
import { dnsDiscovery, staticDiscovery } from "./static-dns.js";

describe("DNS discovery", () => {
  it("orders A records numerically so every node numbers alike, and counts them as the size", async () => {
    const d = await dnsDiscovery("zk.internal", DEFAULT_PORTS, null, async () => ["10.0.0.10", "10.0.0.9", "10.0.0.10"]).discover();
    expect(d.peers.map((p) => p.host)).toEqual(["10.0.0.9", "10.0.0.10"]);
    expect(d.expectedSize).toBe(2);
  });
  it("treats a missing name as no peers yet, and other failures as unreachable", async () => {
    const missing = Object.assign(new Error("nope"), { code: "ENOTFOUND" });
    expect((await dnsDiscovery("zk", DEFAULT_PORTS, 3, () => Promise.reject(missing)).discover()).peers).toEqual([]);
    const broken = Object.assign(new Error("timeout"), { code: "ETIMEOUT" });
    await expect(dnsDiscovery("zk", DEFAULT_PORTS, 3, () => Promise.reject(broken)).discover()).rejects.toThrow(UnreachableError);
  });
});

describe("static discovery", () => {
  it("keeps list order and takes the list length as the ensemble size", async () => {
    const peers = [{ host: "b", ...DEFAULT_PORTS }, { host: "a", ...DEFAULT_PORTS }];
    const d = await staticDiscovery(peers, null).discover();
    expect(d.peers.map((p) => p.host)).toEqual(["b", "a"]);
    expect(d.expectedSize).toBe(2);
  });
});
