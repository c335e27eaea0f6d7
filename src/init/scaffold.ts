/**
 * What `mdeploy init` writes, as plain values: the config, an app template, one
 * values file per environment (plus the review apps' one) and a .gitlab-ci.yml
 * that includes the CI/CD components. Pure: the command decides what exists.
 */

/** Settings of the generated project, validated by the command. */
export interface ScaffoldOptions {
  /** The app's name: last part of its Marathon id and of its host names. */
  name: string;
  /** Environments deployed in order: the first on every default-branch pipeline, the others by hand. */
  environments: string[];
  /** Also write the `review` environment and include the review-app component. */
  review: boolean;
  /** Image repository used for renders outside CI (in CI: $CI_REGISTRY_IMAGE). */
  image: string;
  /** Tag used for renders outside CI (in CI: the tag or the commit). */
  tag: string;
  port: number;
  mem: number;
  cpus: number;
  healthPath: string;
  /** Where `$schema` points: a path into the installed package or a published URL. */
  schemaRef: string;
  /** `<host>/<project path>` of the components, e.g. `$CI_SERVER_FQDN/mdeploy/mdeploy`. */
  componentProject: string;
  /** The component version (a release, or a commit SHA). */
  componentVersion: string;
}

/** A file to create, relative to the project directory. */
export interface ScaffoldFile {
  path: string;
  text: string;
}

/** The name mdeploy gives review apps' environment in mdeploy.yml. */
const REVIEW_ENVIRONMENT = "review";

const TEMPLATE_PATH = "marathon/app.json.hbs";
const valuesPath = (environment: string) => `marathon/${environment}.yml`;

/** Every file `mdeploy init` writes, in the order it writes them. */
export function scaffoldFiles(options: ScaffoldOptions): ScaffoldFile[] {
  const environments = options.review ? [...options.environments, REVIEW_ENVIRONMENT] : options.environments;
  return [
    { path: "mdeploy.yml", text: configText(options, environments) },
    { path: TEMPLATE_PATH, text: templateText() },
    ...environments.map((environment) => ({ path: valuesPath(environment), text: valuesText(options, environment) })),
    { path: ".gitlab-ci.yml", text: pipelineText(options) },
  ];
}

function configText(options: ScaffoldOptions, environments: string[]): string {
  const lines = [
    `# yaml-language-server: $schema=${options.schemaRef}`,
    "#",
    `# mdeploy configuration for ${options.name}, written by \`mdeploy init\`.`,
    `# \`mdeploy render ${options.environments.join(" ")}\` writes marathon_app_<environment>.json for each.`,
    "# Marathon's address and credentials come from CI/CD variables (MARATHON_URL,",
    "# MARATHON_USERNAME, MARATHON_PASSWORD or MARATHON_TOKEN, MESOS_URL), usually scoped per environment.",
    "defaults:",
    `  template: ${TEMPLATE_PATH}`,
    "  # mdeploy deploy picks the upgradeStrategy from the free capacity Mesos reports.",
    "  strategy: auto",
    "",
    "environments:",
  ];
  for (const environment of environments) {
    if (environment === REVIEW_ENVIRONMENT && options.review) lines.push("  # Review apps: one app per merge request branch (see the template's id).");
    lines.push(`  ${environment}:`, `    values: ${valuesPath(environment)}`);
  }
  return `${lines.join("\n")}\n`;
}

function templateText(): string {
  return `{{!--
  The Marathon app, one per environment; variables come from marathon/<environment>.yml.
  In CI the image is the pipeline's own: $CI_REGISTRY_IMAGE:$CI_COMMIT_TAG, else :$CI_COMMIT_SHA;
  image and tag in the values files are for renders outside CI.
  Review apps (environment "${REVIEW_ENVIRONMENT}") get one app and one host name per branch.
  No upgradeStrategy here: mdeploy deploy picks the safest one the cluster's free capacity allows.
  The health check is MESOS_HTTP (run by Mesos): Marathon 1.10+ stops an old instance before
  its replacement is healthy only when Mesos reports it healthy, never for an HTTP check.
--}}
{
  "id": {{#if (eq environment "${REVIEW_ENVIRONMENT}")}}{{json (concat appId "-" (default env.CI_COMMIT_REF_SLUG "local"))}}{{else}}{{json appId}}{{/if}},
  "instances": {{json instances}},
  "cpus": {{json cpus}},
  "mem": {{json mem}},
  "container": {
    "type": "DOCKER",
    "docker": {
      "image": {{json (concat (default env.CI_REGISTRY_IMAGE image) ":" (default env.CI_COMMIT_TAG (default env.CI_COMMIT_SHA tag)))}},
      "forcePullImage": false
    },
    "portMappings": [
      { "containerPort": {{json port}}, "hostPort": 0, "protocol": "tcp", "name": "http" }
    ]
  },
  "networks": [{ "mode": "container/bridge" }],
  "labels": {
    "traefik.enable": "true",
    "traefik.http.routers.{{str name}}-{{str environment}}{{#if (eq environment "${REVIEW_ENVIRONMENT}")}}-{{str (default env.CI_COMMIT_REF_SLUG "local")}}{{/if}}.rule": "Host(\`{{#if (eq environment "${REVIEW_ENVIRONMENT}")}}{{str (default env.CI_COMMIT_REF_SLUG "local")}}.{{/if}}{{str domain}}\`)"
  },
  "healthChecks": [
    {
      "protocol": "MESOS_HTTP",
      "path": {{json healthPath}},
      "portIndex": 0,
      "gracePeriodSeconds": 60,
      "intervalSeconds": 10,
      "timeoutSeconds": 5,
      "maxConsecutiveFailures": 3
    }
  ]
}
`;
}

function valuesText(options: ScaffoldOptions, environment: string): string {
  const isReview = environment === REVIEW_ENVIRONMENT && options.review;
  const lines = [
    `# Template variables for ${options.name} in ${environment} (see ${TEMPLATE_PATH}).`,
    isReview ? "# Each branch's app is this id plus -<branch slug>; its host is <branch slug>.<domain>." : undefined,
    `name: ${options.name}`,
    `appId: /${environment}/${options.name}`,
    `image: ${options.image}`,
    `tag: ${JSON.stringify(options.tag)}`,
    "instances: 1",
    `cpus: ${options.cpus}`,
    `mem: ${options.mem}`,
    `port: ${options.port}`,
    `healthPath: ${JSON.stringify(options.healthPath)}`,
    `domain: ${options.name}.${environment}.example.com`,
  ];
  return `${lines.filter((l) => l !== undefined).join("\n")}\n`;
}

function pipelineText(options: ScaffoldOptions): string {
  const component = (name: string) => `${options.componentProject}/${name}@${options.componentVersion}`;
  const [first, ...later] = options.environments;
  const lines = [
    "# Written by `mdeploy init`: render every environment, deploy the first on the default",
    "# branch and tags, the others when a person starts them" + (options.review ? ", review apps for merge requests." : "."),
    "# Set MARATHON_URL (and credentials, MESOS_URL) as CI/CD variables scoped per environment.",
    "include:",
    `  - component: ${component("render")}`,
    "    inputs:",
    `      environments: ${options.environments.join(" ")}`,
  ];
  let previous: string | undefined;
  for (const environment of [first, ...later].filter((e): e is string => e !== undefined)) {
    lines.push(`  - component: ${component("deploy")}`, "    inputs:", `      environment: ${environment}`, `      tier: ${tierFor(environment)}`);
    if (previous !== undefined) lines.push("      when: manual", `      needs: [mdeploy-render, mdeploy-${previous}]`);
    previous = environment;
  }
  if (options.review) lines.push(`  - component: ${component("review")}`);
  return `${lines.join("\n")}\n`;
}

/** GitLab's deployment tier for an environment name; names GitLab's own heuristics know map to their tier. */
function tierFor(environment: string): string {
  if (/^(prod|production|live)$/i.test(environment)) return "production";
  if (/^(stag|staging|model|pre|demo)/i.test(environment)) return "staging";
  if (/^(test|qa|uat)/i.test(environment)) return "testing";
  if (/^(dev|development|review)/i.test(environment)) return "development";
  return "other";
}
