/**
 * Parses a `WWW-Authenticate` challenge, e.g.
 * `Bearer realm="https://gitlab.example.com/jwt/auth",service="container_registry",scope="repository:g/p:pull"`
 * (Docker Registry token authentication). Pure.
 */

export interface AuthChallenge {
  /** Lower-cased: `bearer` or `basic`. */
  scheme: string;
  params: Record<string, string>;
}

const PARAM = /([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;

/** The first challenge in the header, or undefined when there is none. */
export function parseAuthChallenge(header: string | null | undefined): AuthChallenge | undefined {
  if (!header) return undefined;
  const match = /^\s*([A-Za-z]+)\s*(.*)$/s.exec(header);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  for (const param of (match[2] ?? "").matchAll(PARAM)) {
    params[(param[1] ?? "").toLowerCase()] = param[2] !== undefined ? param[2].replace(/\\(.)/g, "$1") : (param[3] ?? "");
  }
  return { scheme: (match[1] ?? "").toLowerCase(), params };
}
