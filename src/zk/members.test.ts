import { describe, expect, it } from "vitest";
import { parseMembership, renderDynamicConfig } from "./members.js";
import { parsePeerList } from "./peers.js";
import { parseStaticConfig, renderStaticConfig } from "./static-config.js";

describe("membership text", () => {
  it("parses what ZooKeeper writes to /zookeeper/config and renders it back", () => {
    const text = "server.2=10.0.0.2:2888:3888:participant;0.0.0.0:2181\nserver.1=10.0.0.1:2888:3888:observer;2181\nversion=10000000a";
    const m = parseMembership(text);
    expect(m.version).toBe(0x10000000an);
    expect(m.servers).toEqual([
      { id: 1, host: "10.0.0.1", quorumPort: 2888, electionPort: 3888, role: "observer", clientPort: 2181 },
      { id: 2, host: "10.0.0.2", quorumPort: 2888, electionPort: 3888, role: "participant", clientPort: 2181 },
    ]);
    expect(renderDynamicConfig(m.servers)).toBe("server.1=10.0.0.1:2888:3888:observer;10.0.0.1:2181\nserver.2=10.0.0.2:2888:3888:participant;10.0.0.2:2181\n");
  });
  it.each(["server.x=a:1:2", "server.1=a:1", "version=zz", "clientPort=2181"])("rejects %s", (line) => {
    expect(() => parseMembership(line)).toThrow(/line 1/);
  });
});

describe("--peers", () => {
  it("fills default ports and lists every bad entry", () => {
    expect(parsePeerList("a, b:1:2:3").peers).toEqual([
      { host: "a", clientPort: 2181, quorumPort: 2888, electionPort: 3888 },
      { host: "b", clientPort: 1, quorumPort: 2, electionPort: 3 },
    ]);
    expect(parsePeerList("a:0,b:1:2:3:4,c").problems).toEqual(['"a:0" has a port outside 1..65535', '"b:1:2:3:4" is not host[:clientPort[:quorumPort[:electionPort]]]']);
  });
});

describe("zoo.cfg", () => {
  it("has the guard rails and round-trips through the properties parser", () => {
    const cfg = parseStaticConfig(renderStaticConfig({ dataDir: "/d", dynamicConfigFile: "/c/zoo.cfg.dynamic", tickTimeMs: 2000, superDigest: null }));
    expect(cfg).toMatchObject({ dataDir: "/d", dynamicConfigFile: "/c/zoo.cfg.dynamic", standaloneEnabled: "false", reconfigEnabled: "true", "db.autocreate": "false", skipACL: "yes" });
    const secured = parseStaticConfig(renderStaticConfig({ dataDir: "/d", dynamicConfigFile: "/x", tickTimeMs: 2000, superDigest: "super:abc=" }));
    expect(secured["DigestAuthenticationProvider.superDigest"]).toBe("super:abc=");
    expect(secured.skipACL).toBeUndefined();
  });
});
