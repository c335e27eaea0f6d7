/**
 * A fresh self-signed certificate for 127.0.0.1, made with the system's openssl,
 * for TLS tests: only a client given this file as its CA (or told to skip
 * verification) gets through.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface SelfSignedCert {
  /** Temporary directory holding both files; the caller removes it. */
  dir: string;
  certFile: string;
  cert: Buffer;
  key: Buffer;
}

export function makeSelfSignedCert(prefix: string): SelfSignedCert {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", keyFile, "-out", certFile, "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
    { stdio: "ignore" },
  );
  return { dir, certFile, cert: readFileSync(certFile), key: readFileSync(keyFile) };
}
