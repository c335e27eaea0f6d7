/**
 * A fake EC2 + Auto Scaling (Query API, XML) + instance metadata service on
 * 127.0.0.1 port 0, built on the shared fake server so unexpected requests are
 * recorded. It returns every instance it knows, whatever the filters, so tests
 * can check that zk-id itself keeps only running ones; the filters it was sent
 * are kept for assertions. CreateOrUpdateTags on the group changes what later
 * DescribeAutoScalingGroups calls return; fakes built on one options object share it.
 */
import { startFakeServer, type FakeServer } from "./fake-server.js";

export interface FakeInstance {
  id: string;
  ip: string;
  state: "pending" | "running" | "shutting-down" | "terminated" | "stopped";
  launchTime: string;
  lifecycle?: string;
  tags?: Record<string, string>;
}

export interface FakeEc2Options {
  group: { name: string; desired: number; tags?: Record<string, string> };
  instances: FakeInstance[];
  /** This host's identity for IMDS. */
  self: { id: string; ip: string };
  /** Answer every EC2 call with this HTTP error instead. */
  failWith?: { status: number; code: string; message: string };
  /** Answer only CreateOrUpdateTags with this HTTP error (a role without the write). */
  refuseTagWrite?: { status: number; code: string; message: string };
}

const STATE_CODES: Record<FakeInstance["state"], number> = { pending: 0, running: 16, "shutting-down": 32, terminated: 48, stopped: 80 };
const xmlEscape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function describeInstances(instances: FakeInstance[]): string {
  const items = instances
    .map((i) => {
      const tags = Object.entries(i.tags ?? {})
        .map(([k, v]) => `<item><key>${xmlEscape(k)}</key><value>${xmlEscape(v)}</value></item>`)
        .join("");
      return `<item><instanceId>${i.id}</instanceId><instanceState><code>${STATE_CODES[i.state]}</code><name>${i.state}</name></instanceState><privateIpAddress>${i.ip}</privateIpAddress><launchTime>${i.launchTime}</launchTime><tagSet>${tags}</tagSet></item>`;
    })
    .join("");
  return `<?xml version="1.0" encoding="UTF-8"?><DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>req-1</requestId><reservationSet><item><reservationId>r-1</reservationId><instancesSet>${items}</instancesSet></item></reservationSet></DescribeInstancesResponse>`;
}

function describeGroups(options: FakeEc2Options): string {
  const members = options.instances
    .map((i) => `<member><InstanceId>${i.id}</InstanceId><LifecycleState>${i.lifecycle ?? "InService"}</LifecycleState><HealthStatus>Healthy</HealthStatus></member>`)
    .join("");
  const g = options.group;
  const tags = Object.entries(g.tags ?? {})
    .map(([k, v]) => `<member><ResourceId>${g.name}</ResourceId><ResourceType>auto-scaling-group</ResourceType><Key>${xmlEscape(k)}</Key><Value>${xmlEscape(v)}</Value><PropagateAtLaunch>false</PropagateAtLaunch></member>`)
    .join("");
  return `<?xml version="1.0"?><DescribeAutoScalingGroupsResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><DescribeAutoScalingGroupsResult><AutoScalingGroups><member><AutoScalingGroupName>${g.name}</AutoScalingGroupName><DesiredCapacity>${g.desired}</DesiredCapacity><MinSize>${g.desired}</MinSize><MaxSize>${g.desired}</MaxSize><Instances>${members}</Instances><Tags>${tags}</Tags></member></AutoScalingGroups></DescribeAutoScalingGroupsResult><ResponseMetadata><RequestId>req-2</RequestId></ResponseMetadata></DescribeAutoScalingGroupsResponse>`;
}

/**
 * Applies the tags to the group (so the next DescribeAutoScalingGroups shows them), as
 * Auto Scaling does; tags for any other resource are left for the test to see in `actions`.
 */
function createOrUpdateTags(group: FakeEc2Options["group"], form: URLSearchParams): string {
  for (let i = 1; form.has(`Tags.member.${i}.Key`); i++) {
    if (form.get(`Tags.member.${i}.ResourceId`) !== group.name || form.get(`Tags.member.${i}.ResourceType`) !== "auto-scaling-group") continue;
    group.tags = { ...group.tags, [form.get(`Tags.member.${i}.Key`) ?? ""]: form.get(`Tags.member.${i}.Value`) ?? "" };
  }
  return `<?xml version="1.0"?><CreateOrUpdateTagsResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><ResponseMetadata><RequestId>req-4</RequestId></ResponseMetadata></CreateOrUpdateTagsResponse>`;
}

/** Starts the fake; `actions` lists the parsed form bodies of the API calls received. */
export async function startFakeEc2(options: FakeEc2Options): Promise<FakeServer & { actions: URLSearchParams[] }> {
  const actions: URLSearchParams[] = [];
  const server = await startFakeServer([
    { method: "PUT", path: "/latest/api/token", reply: () => ({ body: "imds-token" }) },
    { method: "GET", path: "/latest/meta-data/instance-id", reply: (r) => (r.headers["x-aws-ec2-metadata-token"] === "imds-token" ? { body: options.self.id } : { status: 401, body: "" }) },
    { method: "GET", path: "/latest/meta-data/local-ipv4", reply: (r) => (r.headers["x-aws-ec2-metadata-token"] === "imds-token" ? { body: options.self.ip } : { status: 401, body: "" }) },
    {
      method: "POST",
      path: "/",
      reply: (request) => {
        const form = new URLSearchParams(request.body);
        actions.push(form);
        const xml = { "content-type": "text/xml" };
        const failure = options.failWith ?? (form.get("Action") === "CreateOrUpdateTags" ? options.refuseTagWrite : undefined);
        if (failure) {
          return { status: failure.status, headers: xml, body: `<?xml version="1.0"?><Response><Errors><Error><Code>${failure.code}</Code><Message>${xmlEscape(failure.message)}</Message></Error></Errors><RequestID>req-3</RequestID></Response>` };
        }
        if (form.get("Action") === "CreateOrUpdateTags") return { headers: xml, body: createOrUpdateTags(options.group, form) };
        if (form.get("Action") === "DescribeInstances") return { headers: xml, body: describeInstances(options.instances) };
        if (form.get("Action") === "DescribeAutoScalingGroups") return { headers: xml, body: describeGroups(options) };
        return { status: 400, headers: xml, body: `<Response><Errors><Error><Code>InvalidAction</Code><Message>unexpected ${form.get("Action")}</Message></Error></Errors></Response>` };
      },
    },
  ]);
  return Object.assign(server, { actions });
}
