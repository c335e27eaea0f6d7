/**
 * Which simulated Marathon node leads, and how leadership moves (the changeLeader
 * fault, DELETE /v2/leader). Used by startSimulator (index.ts) and the request
 * handler of marathon-http.ts, which proxies standbys' requests to the leader.
 */
import type { MarathonNode } from "./marathon-nodes.js";

/** The Marathon nodes and which of them leads; -1 while there is no leader. */
export class Leadership {
  /** Filled by bindMarathonNodes as the servers listen; the first one leads at start. */
  readonly nodes: MarathonNode[] = [];
  private leaderIndex = 0;

  /** Index of the leading node, -1 for none. */
  get index(): number {
    return this.leaderIndex;
  }

  /** The leading node, undefined while there is none. */
  leader(): MarathonNode | undefined {
    return this.leaderIndex >= 0 ? this.nodes[this.leaderIndex] : undefined;
  }

  /** URL of the leader; of the first node while there is none. */
  get url(): string {
    return (this.leaderIndex >= 0 ? this.nodes[this.leaderIndex] : this.nodes[0])?.url ?? "";
  }

  /** Moves leadership to the node at `index` (default: the next one); -1 or a missing node leaves no leader. */
  change(index: number | undefined): void {
    this.leaderIndex = index ?? (this.leaderIndex + 1) % Math.max(1, this.nodes.length);
    if (this.leaderIndex >= this.nodes.length) this.leaderIndex = -1;
  }
}
