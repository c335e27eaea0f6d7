import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimFreeId, CLAIMS_PATH, readMembership } from "../src/zk/claims.js";
import { createZkClient, type ZkClient } from "../src/zk/client/zk-client.js";
import type { Membership } from "../src/zk/members.js";
import { createZkHarness } from "./helpers/zk-ensemble.js";
import { startHandWrittenEnsemble, type TestNode } from "./helpers/zk-nodes.js";

const harness = createZkHarness(4);
let nodes: TestNode[] = [];
const sessions: ZkClient[] = [];

beforeAll(async () => {
  nodes = await startHandWrittenEnsemble(harness);
  // Ten sessions spread over the three servers, as ten hosts would be.
  for (let i = 0; i < 10; i++) sessions.push(await createZkClient({ servers: [nodes[i % 3]!.client], requestTimeoutMs: 30_000 }));
}, 60_000);

afterAll(async () => {
  await Promise.all(sessions.map((s) => s.close()));
  await harness.cleanup();
});

const times = { graceMs: 120_000, ttlMs: 900_000 };

describe("ID claims through ZooKeeper itself", { timeout: 90_000 }, () => {
  it("100 concurrent claims against one real ensemble never produce a duplicate", async () => {
    const membership: Membership = await readMembership(sessions[0]!);
    const owners = Array.from({ length: 100 }, (_, i) => `10.1.${Math.floor(i / 250)}.${i}:2888`);
    const liveKeys = new Set(owners);
    // All prefer the same ID, as racing replacements of one gone member would.
    const settled = await Promise.allSettled(
      owners.map((owner, i) => claimFreeId(sessions[i % sessions.length]!, { selfKey: owner, membership, liveKeys, times }, { preferredId: 4, removed: [] })),
    );
    const failures = settled.flatMap((r) => (r.status === "rejected" ? [String(r.reason)] : []));
    expect(failures).toEqual([]);
    const ids = settled.map((r) => (r.status === "fulfilled" ? r.value : -1));
    expect(new Set(ids).size).toBe(100);
    expect(ids.every((id) => id >= 4 && id <= 254)).toBe(true);
    const children = await sessions[1]!.getChildren(CLAIMS_PATH);
    expect(children.map(Number).sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
    // A rerun by the same owner is idempotent: it gets its own claim back.
    const again = await claimFreeId(sessions[2]!, { selfKey: owners[37]!, membership, liveKeys, times }, { preferredId: null, removed: [] });
    expect(again).toBe(ids[37]);
  });

  it("stale claims are cleaned up and their IDs handed out again", async () => {
    const membership = await readMembership(sessions[0]!);
    const zk = sessions[3]!;
    for (const child of await zk.getChildren(CLAIMS_PATH)) await zk.delete(`${CLAIMS_PATH}/${child}`, -1);
    // A claim left by a host that is gone (not live) and older than the grace time.
    await zk.create(`${CLAIMS_PATH}/4`, JSON.stringify({ owner: "10.9.9.9:2888", id: 4 }));
    await new Promise((r) => setTimeout(r, 50));
    const id = await claimFreeId(zk, { selfKey: "10.2.0.1:2888", membership, liveKeys: new Set(), times: { graceMs: 10, ttlMs: 900_000 } }, { preferredId: null, removed: [] });
    expect(id).toBe(4);
    expect(JSON.parse((await zk.getData(`${CLAIMS_PATH}/4`)).data.toString())).toEqual({ owner: "10.2.0.1:2888", id: 4 });
    // A live owner's fresh claim is respected.
    const other = await claimFreeId(zk, { selfKey: "10.2.0.2:2888", membership, liveKeys: new Set(["10.2.0.1:2888"]), times }, { preferredId: 4, removed: [] });
    expect(other).toBe(5);
  });
});
