/**
 * A fresh self-signed certificate for 127.0.0.1 (or another IP), made with the system's openssl,
 * for TLS tests: only a client given this file as its CA (or told to skip
 * verification) gets through.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface SelfSignedCert {
  /** Temporary directory holding both files; the caller removes it. */
  dir: string;
  certFile: string;
  cert: Buffer;
  key: Buffer;
}

export function makeSelfSignedCert(prefix: string, ip = "127.0.0.1"): SelfSignedCert {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", keyFile, "-out", certFile, "-days", "2", "-subj", `/CN=${ip}`, "-addext", `subjectAltName=IP:${ip}`],
    { stdio: "ignore" },
  );
  return { dir, certFile, cert: readFileSync(certFile), key: readFileSync(keyFile) };
}

export interface HttpsTestServer {
  url: string;
  /** The server's certificate (and the CA a client must be given); its folder is `dir`. */
  certFile: string;
  dir: string;
  close(): Promise<void>;
}

/** An HTTPS server on 127.0.0.1 port 0 with a fresh self-signed certificate; close() also removes the files. */
export async function startHttpsServer(prefix: string, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<HttpsTestServer> {
  const { dir, certFile, cert, key } = makeSelfSignedCert(prefix);
  const server = createServer({ cert, key }, handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    certFile,
    dir,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
