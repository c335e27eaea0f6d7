import { describe, expect, it } from "vitest";
import type { ElectionReply } from "./client/election-probe.js";
import { bootstrapEvidence, type BootstrapGate, type PeerObservation } from "./evidence.js";
import { renderDynamicConfig, type ServerAddress, type ServerSpec } from "./members.js";

const addr = (host: string): ServerAddress => ({ host, clientPort: 2181, quorumPort: 2888, electionPort: 3888 });
const planned: ServerSpec[] = ["a", "b", "c"].map((h, i) => ({ ...addr(h), id: i + 1, role: "participant" }));
const reply = (version: bigint, peerEpoch = 0n, servers: ServerSpec[] = planned): ElectionReply => ({ state: "looking", votedFor: 1n, zxid: 0n, peerEpoch, config: `${renderDynamicConfig(servers)}version=${version.toString(16)}` });
const seen = (host: string, election: ElectionReply | null, answered = true, silent = false): PeerObservation => ({ address: addr(host), answered, silent, serving: false, election });
const flag: BootstrapGate = { kind: "flag" };

describe("bootstrapEvidence", () => {
  it.each([
    { name: "nobody runs, --bootstrap given", observations: [seen("a", null, false)], gate: flag, bootstrapFlag: true, want: [0, 0] },
    { name: "a fellow bootstrapper (version 0, its planned ID)", observations: [seen("a", reply(0n))], gate: flag, bootstrapFlag: true, want: [0, 0] },
    { name: "a survivor (formed config version)", observations: [seen("a", reply(0x100000000n))], gate: flag, bootstrapFlag: true, want: [1, 0] },
    { name: "a survivor (epoch only)", observations: [seen("a", reply(0n, 3n))], gate: flag, bootstrapFlag: true, want: [1, 0] },
    { name: "a peer running as another ID", observations: [seen("a", reply(0n, 0n, planned.map((s) => ({ ...s, id: 4 - s.id }))))], gate: flag, bootstrapFlag: true, want: [1, 0] },
    { name: "a peer that runs but has not answered its election port", observations: [seen("a", null)], gate: flag, bootstrapFlag: true, want: [0, 1] },
    { name: "a peer that holds its ports but answers nothing (frozen)", observations: [seen("a", null, false, true)], gate: flag, bootstrapFlag: true, want: [0, 1] },
    { name: "static list without --bootstrap", observations: [], gate: flag, bootstrapFlag: false, want: [1, 0] },
    { name: "EC2 without the formed tag", observations: [], gate: { kind: "marker", formedMarker: null } as BootstrapGate, bootstrapFlag: false, want: [0, 0] },
    { name: "EC2 with the formed tag", observations: [], gate: { kind: "marker", formedMarker: "tag x" } as BootstrapGate, bootstrapFlag: false, want: [1, 0] },
    { name: "this server itself is never evidence", observations: [seen("b", reply(0x100000000n))], gate: flag, bootstrapFlag: true, want: [0, 0] },
  ])("$name", ({ observations, gate, bootstrapFlag, want }) => {
    const e = bootstrapEvidence({ self: addr("b"), observations, gate, bootstrapFlag, planned });
    expect([e.blocking.length, e.unknown.length], JSON.stringify(e)).toEqual(want);
  });
});
