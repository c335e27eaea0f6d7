import { readFile } from "node:fs/promises";
import { Ajv, type ErrorObject } from "ajv";
import { isMap, isSeq, LineCounter, parseDocument, type Node } from "yaml";
import { ConfigError } from "../errors.js";
import type { AppDefinition } from "../marathon/types.js";
import { readErrors, validationErrors } from "./app-definition.js";
import { parsePortRanges, type ClusterSpec } from "./cluster-spec.js";

const resourceNumber = { type: "number", minimum: 0 };

/** Keys of an image behaviour (see ImageBehaviour). */
const behaviourProperties = {
  startSeconds: resourceNumber,
  healthyAfterSeconds: resourceNumber,
  healthy: { type: "boolean" },
  unhealthyAfterSeconds: resourceNumber,
  readyAfterSeconds: resourceNumber,
  ready: { type: "boolean" },
  crashOnStart: { type: "boolean" },
  crashAfterSeconds: resourceNumber,
  memNeededMb: resourceNumber,
  oomAfterSeconds: resourceNumber,
  killSeconds: resourceNumber,
  healthFailure: { type: "string" },
} as const;

/** JSON schema of a cluster file (`mdeploy sim --cluster FILE`). Unknown keys are errors. */
const CLUSTER_FILE_SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: ["agents"],
  properties: {
    agents: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["hostname", "cpus", "mem"],
        properties: {
          hostname: { type: "string", minLength: 1 },
          id: { type: "string", minLength: 1 },
          cpus: resourceNumber,
          mem: resourceNumber,
          disk: resourceNumber,
          gpus: { type: "integer", minimum: 0 },
          ports: { type: "string" },
          attributes: { type: "object", additionalProperties: { type: ["string", "number"] } },
          role: { type: "string", minLength: 1 },
        },
      },
    },
    images: { type: "array", items: { type: "object", additionalProperties: false, required: ["image"], properties: { image: { type: "string", minLength: 1 }, ...behaviourProperties } } },
    defaultImage: { type: "object", additionalProperties: false, properties: behaviourProperties },
    apps: { type: "array", items: { type: "object", required: ["id"], properties: { id: { type: "string" } } } },
    credentials: {
      type: "object",
      additionalProperties: false,
      required: ["username", "password"],
      properties: { username: { type: "string", minLength: 1 }, password: { type: "string", minLength: 1 } },
    },
    standbys: { type: "integer", minimum: 0, maximum: 5 },
    marathon: {
      type: "object",
      additionalProperties: false,
      properties: {
        offerIntervalSeconds: { type: "number", exclusiveMinimum: 0 },
        maxInstancesPerOffer: { type: "integer", minimum: 1 },
        version: { type: "string" },
        restartCounts: { enum: ["mesos-health", "active", "any-health"] },
        relaunchKeepsInstanceId: { type: "boolean" },
      },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: true, strict: false });
const validateSchema = ajv.compile(CLUSTER_FILE_SCHEMA);

/** Reads and validates a cluster file; every problem is listed with its line. */
export async function loadClusterFile(path: string): Promise<ClusterSpec> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new ConfigError(`cannot read cluster file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseClusterFile(text, path);
}

/** Parses cluster-file text (pure); throws ConfigError naming `file:line` and the key path of every problem. */
export function parseClusterFile(text: string, fileName: string): ClusterSpec {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const where = (offset: number) => {
    const pos = lineCounter.linePos(offset);
    return `${fileName}:${pos.line}`;
  };
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => `${where(e.pos[0])}: ${(e.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "")}`);
    throw new ConfigError(`cluster file ${fileName} is not valid YAML`, problems);
  }
  const value = doc.toJS() as unknown;
  const locate = (path: (string | number)[]): string => {
    let node: unknown = doc.contents;
    for (const part of path) {
      const child: unknown = isMap(node) || isSeq(node) ? node.get(part, true) : undefined;
      if (child === undefined) break;
      node = child;
    }
    const range = (node as Node | undefined)?.range;
    return range ? where(range[0]) : `${fileName}:1`;
  };
  const problems: string[] = [];
  if (!validateSchema(value)) {
    for (const e of validateSchema.errors ?? []) problems.push(describe(e, locate));
  }
  const apps = (value as { apps?: unknown } | null)?.apps;
  if (Array.isArray(apps)) {
    apps.forEach((app: unknown, i) => {
      if (typeof (app as { id?: unknown } | null)?.id !== "string") return;
      // Initial apps pass Marathon's own checks, as if POSTed.
      const typeErrors = readErrors(app);
      const details = typeErrors.length > 0 ? typeErrors : validationErrors(app as AppDefinition);
      for (const d of details) problems.push(`${locate(["apps", i])}: /apps/${i}${d.path === "/" ? "" : d.path}: ${d.errors.join("; ")}`);
    });
  }
  if (problems.length === 0) {
    const spec = value as ClusterSpec;
    const seen = new Set<string>();
    spec.agents.forEach((agent, i) => {
      if (seen.has(agent.hostname)) problems.push(`${locate(["agents", i, "hostname"])}: /agents/${i}/hostname: duplicate hostname "${agent.hostname}"`);
      seen.add(agent.hostname);
      if (agent.ports !== undefined && !parsePortRanges(agent.ports)) {
        problems.push(`${locate(["agents", i, "ports"])}: /agents/${i}/ports: must be Mesos range text like "[31000-32000]"`);
      }
    });
  }
  if (problems.length > 0) throw new ConfigError(`cluster file ${fileName} has ${problems.length} problem${problems.length === 1 ? "" : "s"}`, problems);
  return value as ClusterSpec;
}

function describe(e: ErrorObject, locate: (path: (string | number)[]) => string): string {
  const path = e.instancePath
    .split("/")
    .slice(1)
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p.replace(/~1/g, "/").replace(/~0/g, "~")));
  let what = e.message ?? "is invalid";
  let pointer = e.instancePath || "/";
  if (e.keyword === "additionalProperties") {
    const key = (e.params as { additionalProperty: string }).additionalProperty;
    what = `unknown key "${key}"`;
    path.push(key);
    pointer = `${e.instancePath}/${key}`;
  } else if (e.keyword === "required") {
    what = `missing required key "${(e.params as { missingProperty: string }).missingProperty}"`;
  }
  return `${locate(path)}: ${pointer}: ${what}`;
}
