import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";

// Least privilege, checked: every AWS call the toolkit (src/**) and the playbooks
// (ansible/**) make must be granted by the policy for that code, and nothing else may be.

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const IAM_DIR = join(ROOT, "hardening", "iam");

interface AwsCalls {
  sdk_clients: Record<string, string>;
  ansible_modules: Record<string, string[]>;
  policies: Record<string, "src" | "ansible">;
}

interface PolicyStatement {
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
}

const calls = parseYaml(readFileSync(join(IAM_DIR, "aws-calls.yml"), "utf8")) as AwsCalls;

function listFiles(dir: string, keep: (path: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : listFiles(path, keep);
    return keep(path) ? [path] : [];
  });
}

/** A call found in the code, with where it was found for the failure message. */
interface FoundCall {
  action: string;
  where: string;
}

/**
 * AWS SDK v3 calls in TypeScript source: commands imported from @aws-sdk/client-* (named or
 * namespace imports) and constructed with `new`. Unknown clients become problems.
 */
export function scanSdkCalls(source: string, where: string, clients: Record<string, string>): { found: FoundCall[]; problems: string[] } {
  const found: FoundCall[] = [];
  const problems: string[] = [];
  const commandPrefix = new Map<string, string>();
  const namespacePrefix = new Map<string, string>();
  const prefixOf = (pkg: string) => {
    const prefix = clients[pkg];
    if (!prefix) problems.push(`${where}: @aws-sdk/client-${pkg} is not in hardening/iam/aws-calls.yml sdk_clients`);
    return prefix;
  };
  for (const m of source.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+["']@aws-sdk\/client-([a-z0-9-]+)["']/g)) {
    const prefix = prefixOf(m[2] ?? "");
    for (const spec of (m[1] ?? "").split(",")) {
      const [imported, local] = spec.trim().split(/\s+as\s+/);
      if (prefix && imported?.endsWith("Command")) commandPrefix.set((local ?? imported).trim(), `${prefix}:${imported.replace(/Command$/, "")}`);
    }
  }
  for (const m of source.matchAll(/import\s+\*\s+as\s+(\w+)\s+from\s+["']@aws-sdk\/client-([a-z0-9-]+)["']/g)) {
    const prefix = prefixOf(m[2] ?? "");
    if (prefix) namespacePrefix.set(m[1] ?? "", prefix);
  }
  for (const m of source.matchAll(/new\s+(?:(\w+)\.)?(\w+)\s*\(/g)) {
    const [, namespace, command = ""] = m;
    if (namespace) {
      if (!command.endsWith("Command")) continue;
      const prefix = namespacePrefix.get(namespace);
      if (prefix) found.push({ action: `${prefix}:${command.replace(/Command$/, "")}`, where });
    } else {
      const action = commandPrefix.get(command);
      if (action) found.push({ action, where });
    }
  }
  return { found, problems };
}

/** amazon.aws modules used in playbooks and roles, mapped through the catalogue; `aws` CLI calls too. */
export function scanAnsibleCalls(source: string, where: string, modules: Record<string, string[]>): { found: FoundCall[]; problems: string[] } {
  const found: FoundCall[] = [];
  const problems: string[] = [];
  for (const m of source.matchAll(/^\s*(?:-\s+)?amazon\.aws\.(\w+)\s*:/gm)) {
    const actions = modules[m[1] ?? ""];
    if (!actions) problems.push(`${where}: amazon.aws.${m[1]} is not in hardening/iam/aws-calls.yml ansible_modules`);
    for (const action of actions ?? []) found.push({ action, where });
  }
  // The aws CLI run from a command/shell task: `aws ec2 describe-instances` -> ec2:DescribeInstances.
  for (const m of source.matchAll(/^\s*(?:-\s+)?(?:ansible\.builtin\.)?(?:command|shell|cmd)\s*:\s*aws\s+([a-z0-9-]+)\s+([a-z][a-z0-9-]+)/gm)) {
    const operation = (m[2] ?? "").replace(/(^|-)([a-z])/g, (_s, _d, c: string) => c.toUpperCase());
    found.push({ action: `${m[1]}:${operation}`, where });
  }
  return { found, problems };
}

function usedBy(area: "src" | "ansible"): { actions: Map<string, string[]>; problems: string[] } {
  const actions = new Map<string, string[]>();
  const problems: string[] = [];
  const files =
    area === "src"
      ? listFiles(join(ROOT, "src"), (p) => p.endsWith(".ts") && !p.endsWith(".test.ts"))
      : listFiles(join(ROOT, "ansible"), (p) => /\.(ya?ml|j2)$/.test(p));
  for (const file of files) {
    const where = relative(ROOT, file);
    const source = readFileSync(file, "utf8");
    const result = area === "src" ? scanSdkCalls(source, where, calls.sdk_clients) : scanAnsibleCalls(source, where, calls.ansible_modules);
    problems.push(...result.problems);
    for (const { action, where: at } of result.found) actions.set(action, [...(actions.get(action) ?? []), at]);
  }
  return { actions, problems };
}

function granted(policyFile: string): string[] {
  const path = join(IAM_DIR, policyFile);
  if (!existsSync(path)) return [];
  const policy = JSON.parse(readFileSync(path, "utf8")) as { Version: string; Statement: PolicyStatement[] };
  expect(policy.Version).toBe("2012-10-17");
  return policy.Statement.filter((s) => s.Effect === "Allow").flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
}

describe("least-privilege IAM policies", () => {
  it.each(Object.entries(calls.policies))("%s grants exactly what %s/** calls", (policyFile, area) => {
    const { actions, problems } = usedBy(area);
    expect(problems).toEqual([]);
    const grants = new Set(granted(policyFile));
    const missing = [...actions].filter(([action]) => !grants.has(action)).map(([action, at]) => `${action} (used in ${[...new Set(at)].join(", ")})`);
    const unused = [...grants].filter((action) => !actions.has(action));
    expect({ missing, unused }, `hardening/iam/${policyFile} must grant exactly the AWS calls in ${area}/**`).toEqual({ missing: [], unused: [] });
    if (actions.size === 0) expect(existsSync(join(IAM_DIR, policyFile)), `${policyFile} would grant nothing: remove it`).toBe(false);
  });

  it("grants no wildcard action and no write on every resource", () => {
    for (const policyFile of Object.keys(calls.policies)) {
      const path = join(IAM_DIR, policyFile);
      if (!existsSync(path)) continue;
      const policy = JSON.parse(readFileSync(path, "utf8")) as { Statement: PolicyStatement[] };
      for (const statement of policy.Statement) {
        const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
        expect(actions.filter((a) => a.includes("*")), policyFile).toEqual([]);
        const readOnly = actions.every((a) => /:(Describe|Get|List)/.test(a));
        if (!readOnly) expect(statement.Resource, `${policyFile}: writes must name their resources`).not.toBe("*");
      }
    }
  });

  it("the scanners find SDK commands and playbook modules, and flag what the catalogue lacks", () => {
    const sdk = scanSdkCalls(
      `import { EC2Client, DescribeInstancesCommand as Describe } from "@aws-sdk/client-ec2";\n` +
        `import * as asg from "@aws-sdk/client-auto-scaling";\nimport { GetObjectCommand } from "@aws-sdk/client-s3";\n` +
        `await c.send(new Describe({})); await a.send(new asg.DescribeAutoScalingGroupsCommand({})); new GetObjectCommand({});`,
      "sample.ts",
      calls.sdk_clients,
    );
    expect(sdk.found.map((f) => f.action)).toEqual(["ec2:DescribeInstances", "autoscaling:DescribeAutoScalingGroups"]);
    expect(sdk.problems).toEqual(["sample.ts: @aws-sdk/client-s3 is not in hardening/iam/aws-calls.yml sdk_clients"]);
    const playbook = scanAnsibleCalls(
      "- name: x\n  amazon.aws.ec2_security_group:\n    name: a\n- amazon.aws.s3_bucket:\n    name: b\n- ansible.builtin.command: aws ec2 describe-instances\n",
      "pb.yml",
      calls.ansible_modules,
    );
    expect(playbook.found.map((f) => f.action)).toContain("ec2:AuthorizeSecurityGroupIngress");
    expect(playbook.found.map((f) => f.action)).toContain("ec2:DescribeInstances");
    expect(playbook.problems).toEqual(["pb.yml: amazon.aws.s3_bucket is not in hardening/iam/aws-calls.yml ansible_modules"]);
  });
});
