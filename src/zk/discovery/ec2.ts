/**
 * EC2 discovery: the running instances of an autoscaling group (and its desired
 * capacity, the bootstrap size) or of a cluster tag, plus this instance's own
 * identity from the instance metadata service. Endpoints can be overridden so
 * tests talk to a fake on 127.0.0.1.
 */
import { AutoScalingClient, CreateOrUpdateTagsCommand, DescribeAutoScalingGroupsCommand } from "@aws-sdk/client-auto-scaling";
import { DescribeInstancesCommand, EC2Client, type Filter, type Instance } from "@aws-sdk/client-ec2";
import { UnreachableError } from "../../errors.js";
import type { Discovery, Peer, PortDefaults } from "../peers.js";

export interface Ec2DiscoveryOptions {
  region: string;
  /** Overrides both the EC2 and the Auto Scaling endpoint (a fake in tests). */
  endpoint?: string;
  /** Credentials; when absent the SDK's default chain (environment, instance role) applies. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  ports: PortDefaults;
  /** Instances of this autoscaling group... */
  autoScalingGroup?: string;
  /** ...or instances with this tag. */
  tag?: { key: string; value: string };
  /** Bootstrap size when discovering by tag (an ASG says its own). */
  expectedSize: number | null;
}

/** The old ID tag, honoured as a migration path. */
const ZKID_TAG = "zkid";

/**
 * The durable "this ensemble formed" marker: a tag on the autoscaling group (or on
 * any discovered instance). While it is there, zk-id never bootstraps a new ensemble.
 */
const FORMED_TAG = "mdeploy:zk-ensemble-formed";

function describeFailure(what: string, error: unknown): UnreachableError {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode ? ` (HTTP ${e.$metadata.httpStatusCode})` : "";
  return new UnreachableError(`${what} failed: ${e.name ?? "Error"}: ${e.message ?? String(error)}${status}`);
}

function toPeer(instance: Instance, ports: PortDefaults): Peer | null {
  if (!instance.PrivateIpAddress || !instance.InstanceId) return null;
  const tag = instance.Tags?.find((t) => t.Key === ZKID_TAG)?.Value;
  const zkidTag = tag !== undefined && /^\d+$/.test(tag.trim()) ? Number(tag.trim()) : null;
  return { host: instance.PrivateIpAddress, ...ports, instanceId: instance.InstanceId, zkidTag };
}

/** The EC2 discovery adapter; `markFormed` exists only with an autoscaling group (the marker's home). */
export interface Ec2Discovery {
  discover(): Promise<Discovery>;
  markFormed?(): Promise<string>;
}

/** Builds the EC2 discovery adapter. */
export function createEc2Discovery(options: Ec2DiscoveryOptions): Ec2Discovery {
  const common = { region: options.region, ...(options.endpoint ? { endpoint: options.endpoint } : {}), ...(options.credentials ? { credentials: options.credentials } : {}), maxAttempts: 3 };
  // The SDK warns on every run under Node 20 that its 2027 releases will need Node 22;
  // mdeploy pins an SDK release that supports Node 20, so the warning only adds noise
  // to a command whose stderr is its one-line verdict.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const ec2 = new EC2Client(common);
  const autoscaling = new AutoScalingClient(common);
  const group = options.autoScalingGroup;
  // One write per run at most, however many times the protocol reports a quorum.
  let marking: Promise<string> | null = null;
  const markFormed = (name: string) => async (): Promise<string> => {
    marking ??= (async () => {
      const value = new Date().toISOString();
      try {
        await autoscaling.send(
          new CreateOrUpdateTagsCommand({ Tags: [{ ResourceId: name, ResourceType: "auto-scaling-group", Key: FORMED_TAG, Value: value, PropagateAtLaunch: false }] }),
        );
      } catch (error) {
        const failure = describeFailure(`CreateOrUpdateTags ${FORMED_TAG} on autoscaling group ${name}`, error);
        throw new UnreachableError(`${failure.message}; this instance's role needs autoscaling:CreateOrUpdateTags on the group (hardening/iam/mdeploy-node-policy.json)`);
      }
      return `tag ${FORMED_TAG}=${value} on autoscaling group ${name}`;
    })();
    return marking;
  };
  return {
    ...(group ? { markFormed: markFormed(group) } : {}),
    async discover() {
      let expectedSize = options.expectedSize;
      const filters: Filter[] = [{ Name: "instance-state-name", Values: ["running"] }];
      let instanceIds: string[] | undefined;
      let source: string;
      let formedMarker: string | null = null;
      if (options.autoScalingGroup) {
        source = `autoscaling group ${options.autoScalingGroup}`;
        let group;
        try {
          const out = await autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [options.autoScalingGroup] }));
          group = out.AutoScalingGroups?.[0];
        } catch (error) {
          throw describeFailure(`DescribeAutoScalingGroups ${options.autoScalingGroup}`, error);
        }
        if (!group) throw new UnreachableError(`autoscaling group ${options.autoScalingGroup} not found in ${options.region}`);
        expectedSize = expectedSize ?? group.DesiredCapacity ?? null;
        const formed = group.Tags?.find((t) => t.Key === FORMED_TAG);
        if (formed) formedMarker = `tag ${FORMED_TAG}=${formed.Value ?? ""} on autoscaling group ${options.autoScalingGroup}`;
        // Instances leaving the group (Terminating*, Detaching) are not members-to-be.
        instanceIds = (group.Instances ?? []).filter((i) => i.InstanceId && !/^(Terminat|Detach|Standby)/.test(i.LifecycleState ?? "")).map((i) => i.InstanceId as string);
        if (instanceIds.length === 0) return { source, peers: [], expectedSize, gate: { kind: "marker", formedMarker } };
      } else if (options.tag) {
        source = `EC2 tag ${options.tag.key}=${options.tag.value}`;
        filters.push({ Name: `tag:${options.tag.key}`, Values: [options.tag.value] });
      } else {
        throw new UnreachableError("EC2 discovery needs an autoscaling group or a tag");
      }
      const instances: Instance[] = [];
      let nextToken: string | undefined;
      // Bounded paging: 20 pages of up to 1000 instances is far beyond any ensemble.
      for (let page = 0; page < 20; page++) {
        try {
          const out = await ec2.send(new DescribeInstancesCommand({ Filters: filters, ...(instanceIds ? { InstanceIds: instanceIds } : {}), ...(nextToken ? { NextToken: nextToken } : {}) }));
          for (const r of out.Reservations ?? []) instances.push(...(r.Instances ?? []));
          nextToken = out.NextToken;
        } catch (error) {
          throw describeFailure(`DescribeInstances (${source})`, error);
        }
        if (!nextToken) break;
      }
      const running = instances.filter((i) => i.State?.Name === "running");
      running.sort((a, b) => (a.LaunchTime?.getTime() ?? 0) - (b.LaunchTime?.getTime() ?? 0) || (a.InstanceId ?? "").localeCompare(b.InstanceId ?? ""));
      const peers = running.map((i) => toPeer(i, options.ports)).filter((p): p is Peer => p !== null);
      const taggedInstance = running.find((i) => i.Tags?.some((t) => t.Key === FORMED_TAG));
      if (!formedMarker && taggedInstance) formedMarker = `tag ${FORMED_TAG} on instance ${taggedInstance.InstanceId ?? "?"}`;
      return { source, peers, expectedSize, gate: { kind: "marker", formedMarker } };
    },
  };
}

/** This instance as the metadata service (IMDSv2) describes it. */
export interface InstanceIdentity {
  instanceId: string;
  privateIp: string;
}

/** Reads instance ID and private IP from IMDSv2 (token first); `endpoint` is overridable for tests. */
export async function readInstanceIdentity(endpoint = "http://169.254.169.254", timeoutMs = 2_000): Promise<InstanceIdentity> {
  const base = endpoint.replace(/\/$/, "");
  const call = async (method: string, path: string, headers: Record<string, string>) => {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, { method, headers, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      throw new UnreachableError(`${method} ${base}${path}: ${(error as Error).message} (is this an EC2 instance? pass --address otherwise)`);
    }
    if (!res.ok) throw new UnreachableError(`${method} ${base}${path}: ${res.status} ${res.statusText}`);
    return (await res.text()).trim();
  };
  const token = await call("PUT", "/latest/api/token", { "X-aws-ec2-metadata-token-ttl-seconds": "60" });
  const auth = { "X-aws-ec2-metadata-token": token };
  const instanceId = await call("GET", "/latest/meta-data/instance-id", auth);
  const privateIp = await call("GET", "/latest/meta-data/local-ipv4", auth);
  return { instanceId, privateIp };
}
