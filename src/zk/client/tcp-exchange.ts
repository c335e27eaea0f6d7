/**
 * One request, one answer over a fresh TCP connection, bounded in time: the
 * shape of both ZooKeeper probes (four-letter words, election port). Nothing
 * listening, a reset, or silence until the timeout all mean "no answer" (null):
 * for a probe, that is the finding, not a failure.
 */
import { createConnection } from "node:net";

/**
 * Connects, writes `request`, and feeds everything received to `read`, which
 * returns the answer once it has one (undefined: wait for more). When the peer
 * closes first, `atEnd` turns what arrived into the answer.
 */
export function tcpExchange<T>(host: string, port: number, request: Buffer | string, timeoutMs: number, read: (received: Buffer) => T | undefined, atEnd: (received: Buffer) => T | null): Promise<T | null> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    let received = Buffer.alloc(0);
    let settled = false;
    const done = (value: T | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    socket.on("connect", () => socket.write(request));
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const answer = read(received);
      if (answer !== undefined) done(answer);
    });
    socket.on("end", () => done(atEnd(received)));
    socket.on("close", () => done(atEnd(received)));
    socket.on("error", () => done(null));
  });
}

/**
 * Whether something completes a TCP handshake on `host:port` within the time.
 * Tells a process that holds its port but does not answer (a long GC pause, a
 * stopped JVM, a stalled disk) from one that does not run: a refused or
 * unanswered connection is false.
 */
function tcpAccepts(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (accepted: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(accepted);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/**
 * Whether a ZooKeeper server's process is there: its election port accepts a
 * connection. The client port does not tell: any service may have taken a dead
 * server's client port, while the election port is the quorum's own listener.
 */
export function serverAccepts(address: { host: string; electionPort: number }): Promise<boolean> {
  return tcpAccepts(address.host, address.electionPort);
}
