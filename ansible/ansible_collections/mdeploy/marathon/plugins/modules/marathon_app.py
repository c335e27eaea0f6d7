#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright (c) 2026 mdeploy contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: marathon_app
short_description: Manage Marathon applications
version_added: 1.0.0
description:
  - Create, update, restart or remove an application on a Mesos/Marathon cluster
    through Marathon's REST API (C(/v2/apps)).
  - The module is idempotent. It reads the running application, fills in the values
    Marathon fills in itself (for example C(cpus=1), C(instances=1), the default
    C(upgradeStrategy) and health check timings) on both sides, and only sends a change
    when the normalized definitions differ. Read-only fields Marathon adds
    (C(version), C(tasks), C(deployments), ...) are ignored.
  - The definition given is authoritative for the fields Marathon lets users set. A
    field that is set on the running application but missing from C(definition) is reset
    to Marathon's default, so removing a constraint or a label from the playbook removes
    it from the cluster.
  - After a change the module follows the deployment Marathon started until it ends and
    then checks that the application runs the new version with all instances healthy.
    Marathon itself never gives up on a deployment that cannot progress; this module
    fails after C(wait_timeout) seconds and reports why Marathon could not place the
    tasks (offer reject reasons from C(/v2/queue)). It does not roll back.
author:
  - mdeploy contributors (@mdeploy)
options:
  url:
    description:
      - Base URL of Marathon, including any path prefix (for example
        C(https://dcos.example.com/service/marathon)).
      - Several URLs may be given, comma separated; when one refuses the connection the next
        is tried, and the first that answers is used for the rest of the task.
      - If not given, the environment variable C(MARATHON_URL) is used.
    type: str
    required: true
  app_id:
    description:
      - Marathon application id, for example C(/click-count) or C(/team/web).
      - A leading C(/) is added when missing.
      - If C(definition) has an C(id), it must name the same application.
    type: str
    required: true
    aliases: [ id ]
  definition:
    description:
      - The application definition, as accepted by C(PUT /v2/apps/{app_id}).
      - Required when C(state=present).
      - With C(state=restarted) it is optional; when given, the application is first
        brought to this definition (an update restarts the tasks by itself).
    type: dict
  state:
    description:
      - C(present) makes sure the application exists with C(definition).
      - C(absent) removes the application and waits until its tasks are gone.
      - C(restarted) replaces every task with a fresh one following the application's
        upgrade strategy. It always reports a change.
    type: str
    choices: [ present, absent, restarted ]
    default: present
  force:
    description:
      - Pass C(force=true) to Marathon, which cancels a deployment that holds a lock on
        the application instead of waiting for it.
      - Cancelling a running deployment can leave tasks of several versions running.
    type: bool
    default: false
  wait:
    description:
      - Wait for the deployment to finish and verify the result.
      - When C(false) the module returns as soon as Marathon accepted the change.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait for a deployment to finish, and for a deployment that
        locks the application to end before sending a change.
    type: int
    default: 600
  poll_interval:
    description:
      - Seconds between two reads of C(/v2/deployments) while waiting.
    type: float
    default: 2.0
  url_username:
    description:
      - Username for HTTP basic authentication (Marathon's C(--http_credentials)).
      - If not given, the environment variable C(MARATHON_USERNAME) is used.
    type: str
  url_password:
    description:
      - Password for HTTP basic authentication.
      - If not given, the environment variable C(MARATHON_PASSWORD) is used.
    type: str
  token:
    description:
      - "DC/OS authentication token, sent as C(Authorization: token=<token>)."
      - Mutually exclusive with C(url_username).
      - If not given, the environment variable C(MARATHON_TOKEN) is used.
    type: str
  validate_certs:
    description:
      - Verify Marathon's TLS certificate.
      - Only set this to C(false) on a throwaway test cluster; use C(ca_path) for a
        private certificate authority instead.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file with the certificate authorities that sign Marathon's certificate.
    type: path
  client_cert:
    description:
      - PEM file with a client certificate for mutual TLS.
    type: path
  client_key:
    description:
      - PEM file with the private key of C(client_cert).
    type: path
  request_timeout:
    description:
      - Timeout in seconds of a single HTTP request.
    type: float
    default: 30
notes:
  - Supports C(check_mode) and C(diff_mode). In check mode nothing is sent to Marathon
    except reads.
  - Works with Marathon 1.4 to 1.11 and with Marathon on DC/OS.
  - Equivalent to the C(/v2/apps) part of Marathon's REST API; pods and groups are not
    managed.
seealso:
  - name: Marathon REST API
    description: The API this module calls.
    link: https://mesosphere.github.io/marathon/api-console/index.html
attributes:
  check_mode:
    description: Reports whether the application would change and what would be sent, without sending it.
    support: full
  diff_mode:
    description: Shows the managed fields of the running application before and after, numbers compared by value.
    support: full
'''

EXAMPLES = r'''
- name: Run click-count on three agents
  mdeploy.marathon.marathon_app:
    url: https://marathon.example.com:8443
    url_username: deployer
    url_password: "{{ vault_marathon_password }}"
    ca_path: /etc/ssl/certs/cluster-ca.pem
    app_id: /click-count
    definition:
      cpus: 0.5
      mem: 300
      instances: 3
      container:
        type: DOCKER
        docker:
          image: registry.example.com/demo/click-count:1.4.2
      constraints:
        - [hostname, UNIQUE]
      upgradeStrategy:
        minimumHealthCapacity: 0.5
        maximumOverCapacity: 0
    wait_timeout: 900

- name: Restart the GitLab runners to pick up a new token
  mdeploy.marathon.marathon_app:
    url: "{{ marathon_url }}"
    app_id: /gitlab-runner
    state: restarted

- name: Remove the review app
  mdeploy.marathon.marathon_app:
    url: "{{ marathon_url }}"
    app_id: /review/feature-42
    state: absent
'''

RETURN = r'''
app:
  description:
    - The application as Marathon reports it after the module ran (before, in check
      mode). Empty after C(state=absent).
  returned: always
  type: dict
  sample: {"id": "/click-count", "instances": 3, "tasksHealthy": 3, "version": "2026-11-22T05:30:00.000Z"}
deployment_id:
  description: Id of the deployment Marathon started for the change.
  returned: when a change was sent
  type: str
  sample: 5ed4c0c5-9ff8-4a6f-a0cd-f57f59a34b43
version:
  description: Application version Marathon assigned to the change.
  returned: when a change was sent to create, update or restart the application
  type: str
  sample: "2026-11-22T05:30:00.000Z"
changed_fields:
  description: Top-level definition fields that differ between the cluster and C(definition).
  returned: when C(state=present) or C(definition) is given
  type: list
  elements: str
  sample: [instances, container]
'''

import copy
import json
import time

from ansible.module_utils.basic import AnsibleModule, env_fallback
from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.module_utils.six.moves.urllib.parse import quote, urlencode
from ansible.module_utils.urls import fetch_url

# Values Marathon fills in when an app omits them (Marathon 1.10/1.11, AppDefinition and
# the RAML types). Both sides are normalized with them so that leaving a field out of the
# playbook and Marathon echoing its default are not reported as a change.
APP_DEFAULTS = {
    'cpus': 1.0,
    'mem': 128.0,
    'disk': 0.0,
    'gpus': 0,
    'instances': 1,
    'backoffSeconds': 1,
    'backoffFactor': 1.15,
    'maxLaunchDelaySeconds': 300,
    'killSelection': 'YOUNGEST_FIRST',
    'requirePorts': False,
    'networks': [{'mode': 'host'}],
    'upgradeStrategy': {'minimumHealthCapacity': 1.0, 'maximumOverCapacity': 1.0},
}

# Fields a user may set. One that is set on the cluster but missing from the playbook is
# reset (to its default, or emptied), because Marathon's PUT keeps omitted fields.
MANAGED_FIELDS = (
    'cmd', 'args', 'user', 'env', 'labels', 'instances', 'cpus', 'mem', 'disk', 'gpus',
    'executor', 'constraints', 'fetch', 'uris', 'storeUrls', 'backoffSeconds', 'backoffFactor',
    'maxLaunchDelaySeconds', 'container', 'healthChecks', 'readinessChecks', 'dependencies',
    'upgradeStrategy', 'portDefinitions', 'requirePorts', 'acceptedResourceRoles',
    'killSelection', 'taskKillGracePeriodSeconds', 'unreachableStrategy', 'secrets',
    'networks', 'residency', 'role',
)

# The value that clears a managed field without a default.
EMPTY_BY_FIELD = {
    'env': {}, 'labels': {}, 'constraints': [], 'fetch': [], 'uris': [], 'storeUrls': [],
    'healthChecks': [], 'readinessChecks': [], 'dependencies': [], 'portDefinitions': [],
    'acceptedResourceRoles': [], 'secrets': {},
}

# Fields whose default Marathon decides itself (its --mesos_role, its version's unreachable
# strategy, a service port it assigns to an app without port definitions). They are
# compared only when the playbook sets them, so leaving them out is never a change.
SERVER_DEFAULTED_FIELDS = ('role', 'unreachableStrategy', 'portDefinitions')

HEALTH_CHECK_DEFAULTS = {
    'gracePeriodSeconds': 300,
    'intervalSeconds': 60,
    'timeoutSeconds': 20,
    'maxConsecutiveFailures': 3,
    'delaySeconds': 15,
    'ignoreHttp1xx': False,
    'ipProtocol': 'IPv4',
}

READINESS_CHECK_DEFAULTS = {
    'protocol': 'HTTP',
    'path': '/',
    'portName': 'http-api',
    'intervalSeconds': 30,
    'timeoutSeconds': 10,
    'httpStatusCodesForReady': [200],
    'preserveLastResponse': False,
}

PORT_DEFINITION_DEFAULTS = {'protocol': 'tcp'}

DOCKER_DEFAULTS = {'forcePullImage': False, 'privileged': False}

# Fields only Marathon writes; never part of a comparison or a PUT.
READ_ONLY_FIELDS = (
    'version', 'versionInfo', 'tasks', 'tasksRunning', 'tasksStaged', 'tasksHealthy',
    'tasksUnhealthy', 'deployments', 'lastTaskFailure', 'readinessCheckResults', 'taskStats',
)


def normalize_app_id(app_id):
    """Marathon ids are absolute; accept 'web' and '/web' alike."""
    app_id = app_id.strip()
    if not app_id.startswith('/'):
        app_id = '/' + app_id
    return app_id.rstrip('/') or '/'


def _is_empty(value):
    return value is None or value == [] or value == {} or value == ''


def _prune(value):
    """Drop empty values recursively: Marathon echoes [] and {} for fields never set."""
    if isinstance(value, dict):
        pruned = {}
        for key, item in value.items():
            item = _prune(item)
            if not _is_empty(item):
                pruned[key] = item
        return pruned
    if isinstance(value, list):
        return [_prune(item) for item in value]
    return value


def _canonical(value):
    """Comparison form: 300 and 300.0 are the same to Marathon (it stores doubles)."""
    if isinstance(value, dict):
        return dict((k, _canonical(v)) for k, v in value.items())
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    return value


def _plain_numbers(value):
    """Display form: whole numbers as integers, so a diff never shows 0 -> 0.0 or 1 -> 1.0.

    Marathon answers with doubles (cpus 1.0, disk 0.0) while playbooks usually write
    integers; the values are equal, and diff mode must not present them as a change.
    """
    if isinstance(value, dict):
        return dict((k, _plain_numbers(v)) for k, v in value.items())
    if isinstance(value, list):
        return [_plain_numbers(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _with_defaults(value, defaults):
    merged = dict(defaults)
    merged.update(value)
    return merged


def _normalize_health_check(check):
    check = _with_defaults(check, HEALTH_CHECK_DEFAULTS)
    protocol = check.get('protocol', 'HTTP')
    check['protocol'] = protocol
    if protocol in ('HTTP', 'HTTPS', 'MESOS_HTTP', 'MESOS_HTTPS'):
        check.setdefault('path', '/')
    if protocol != 'COMMAND' and 'port' not in check:
        check.setdefault('portIndex', 0)
    return check


def _normalize_container(container):
    container = dict(container)
    container.setdefault('type', 'DOCKER')
    docker = container.get('docker')
    if isinstance(docker, dict):
        docker = _with_defaults(docker, DOCKER_DEFAULTS)
        # Marathon 1.4 echoes the legacy docker.network; networks[] replaced it.
        docker.pop('network', None)
        container['docker'] = docker
    return container


def _drop_assigned_ports(want, have):
    """Port 0 asks Marathon to pick a service port; whatever it picked matches it."""
    pairs = [(want.get('portDefinitions'), have.get('portDefinitions'), 'port')]
    for side in ('container',):
        wc, hc = want.get(side) or {}, have.get(side) or {}
        pairs.append((wc.get('portMappings'), hc.get('portMappings'), 'servicePort'))
        pairs.append(((wc.get('docker') or {}).get('portMappings'), (hc.get('docker') or {}).get('portMappings'), 'servicePort'))
    for wanted, current, key in pairs:
        if not isinstance(wanted, list) or not isinstance(current, list):
            continue
        for index, entry in enumerate(wanted):
            if isinstance(entry, dict) and entry.get(key) in (0, None):
                entry.pop(key, None)
                if index < len(current) and isinstance(current[index], dict):
                    current[index].pop(key, None)


def normalize_definition(definition):
    """The definition as Marathon would store it, limited to fields a user controls."""
    app = copy.deepcopy(dict((k, v) for k, v in definition.items() if k not in READ_ONLY_FIELDS and k != 'id'))
    app = _with_defaults(app, APP_DEFAULTS)
    strategy = app.get('upgradeStrategy')
    if isinstance(strategy, dict):
        app['upgradeStrategy'] = _with_defaults(strategy, APP_DEFAULTS['upgradeStrategy'])
    if isinstance(app.get('healthChecks'), list):
        app['healthChecks'] = [_normalize_health_check(c) if isinstance(c, dict) else c for c in app['healthChecks']]
    if isinstance(app.get('readinessChecks'), list):
        app['readinessChecks'] = [_with_defaults(c, READINESS_CHECK_DEFAULTS) if isinstance(c, dict) else c
                                  for c in app['readinessChecks']]
    if isinstance(app.get('portDefinitions'), list):
        app['portDefinitions'] = [_with_defaults(p, PORT_DEFINITION_DEFAULTS) if isinstance(p, dict) else p
                                  for p in app['portDefinitions']]
    if isinstance(app.get('container'), dict):
        app['container'] = _normalize_container(app['container'])
    return _prune(app)


def compare_definitions(desired, current):
    """Return (changed_fields, before, after) over the fields a user controls.

    `before`/`after` hold only those fields, so diff mode shows what the playbook manages
    and nothing Marathon added.
    """
    want = normalize_definition(desired)
    have = normalize_definition(current)
    _drop_assigned_ports(want, have)
    want, have = _prune(want), _prune(have)
    fields = sorted(set(want) | set(k for k in have if k in MANAGED_FIELDS and k not in SERVER_DEFAULTED_FIELDS))
    changed = [k for k in fields if _canonical(want.get(k)) != _canonical(have.get(k))]
    before = _plain_numbers(dict((k, have[k]) for k in fields if k in have))
    after = _plain_numbers(dict((k, want[k]) for k in fields if k in want))
    return changed, before, after


def build_put_body(app_id, desired, current):
    """The PUT body: the desired definition plus explicit resets for dropped fields."""
    body = dict((k, v) for k, v in desired.items() if k not in READ_ONLY_FIELDS)
    body['id'] = app_id
    for field in MANAGED_FIELDS:
        if field in body or field in SERVER_DEFAULTED_FIELDS or current is None or _is_empty(current.get(field)):
            continue
        if field in APP_DEFAULTS:
            body[field] = APP_DEFAULTS[field]
        elif field in EMPTY_BY_FIELD:
            body[field] = EMPTY_BY_FIELD[field]
    return body


class MarathonError(Exception):

    def __init__(self, message, status=None):
        super(MarathonError, self).__init__(message)
        self.status = status


class MarathonClient(object):
    """Thin wrapper over fetch_url that speaks Marathon's JSON and error format."""

    def __init__(self, module):
        self.module = module
        # Several Marathons may be given, comma separated, as MARATHON_URL allows; any of them
        # proxies to the leader, so the first that answers is used from then on.
        self.bases = [u.strip().rstrip('/') for u in module.params['url'].split(',') if u.strip()]
        if not self.bases:
            module.fail_json(msg='url is empty')
        self.base = self.bases[0]
        self.headers = {'Accept': 'application/json'}
        if module.params['token']:
            self.headers['Authorization'] = 'token=%s' % module.params['token']
        self.timeout = module.params['request_timeout']

    def request(self, method, path, body=None, query=None, ok=(200,)):
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body)
            headers['Content-Type'] = 'application/json'
        suffix = path + ('?' + urlencode(query) if query else '')
        candidates = [self.base] + [b for b in self.bases if b != self.base]
        for base in candidates:
            url = base + suffix
            response, info = fetch_url(self.module, url, data=data, headers=headers, method=method,
                                       timeout=self.timeout, ca_path=self.module.params['ca_path'])
            status = info.get('status', -1)
            # Move on only when nothing reached Marathon (refused, unresolvable): a change that
            # timed out may have been applied, so it is never sent twice.
            refused = status == -1 and ('refused' in str(info.get('msg')).lower() or 'name or service' in str(info.get('msg')).lower())
            if not refused or base == candidates[-1]:
                break
        self.base = base
        if response is not None:
            try:
                raw = response.read()
            except AttributeError:
                raw = b''
        else:
            raw = info.get('body') or b''
        payload = None
        if raw:
            try:
                payload = json.loads(to_text(raw))
            except ValueError:
                payload = to_text(raw)
        if status in ok:
            return status, payload
        raise MarathonError(self.describe_failure(method, url, status, info, payload), status)

    @staticmethod
    def describe_failure(method, url, status, info, payload):
        if status == -1:
            return '%s %s: %s' % (method, url, info.get('msg'))
        message = info.get('msg', '')
        if isinstance(payload, dict):
            message = payload.get('message', message)
            details = payload.get('details')
            if details:
                problems = ['%s %s' % (d.get('path', '/'), ', '.join(d.get('errors', []))) for d in details
                            if isinstance(d, dict)]
                message += ': ' + '; '.join(problems)
        elif payload:
            message = to_native(payload)[:300]
        return '%s %s: %s %s' % (method, url, status, message)

    def app_path(self, app_id):
        return '/v2/apps' + quote(app_id)

    def get_app(self, app_id):
        status, payload = self.request('GET', self.app_path(app_id), ok=(200, 404))
        if status == 404:
            return None
        if not isinstance(payload, dict) or not isinstance(payload.get('app'), dict):
            raise MarathonError('GET %s%s: unexpected answer, no "app" object' % (self.base, self.app_path(app_id)))
        return payload['app']

    def deployment_ids(self):
        _status, payload = self.request('GET', '/v2/deployments')
        if not isinstance(payload, list):
            raise MarathonError('GET %s/v2/deployments: expected a list' % self.base)
        return payload

    def queue_reasons(self, app_id):
        try:
            _status, payload = self.request('GET', '/v2/queue')
        except MarathonError:
            return []
        reasons = []
        for item in (payload or {}).get('queue', []):
            app = item.get('app') or {}
            if app.get('id') != app_id:
                continue
            reasons.append('%s instance(s) waiting' % item.get('count'))
            summary = (item.get('processedOffersSummary') or {}).get('rejectSummaryLastOffers') or []
            for entry in summary:
                if entry.get('declined'):
                    reasons.append('%s declined %s of %s offers' % (
                        entry.get('reason'), entry.get('declined'), entry.get('processed')))
        return reasons


class MarathonAppManager(object):

    def __init__(self, module, client):
        self.module = module
        self.client = client
        self.params = module.params
        self.app_id = normalize_app_id(self.params['app_id'])
        self.deadline = time.time() + self.params['wait_timeout']

    def force_query(self):
        return {'force': 'true'} if self.params['force'] else None

    def send_change(self, method, path, body=None, ok=(200, 201)):
        """Send a change; on a 409 lock, wait for the holding deployments once, then retry."""
        try:
            return self.client.request(method, path, body=body, query=self.force_query(), ok=ok)[1] or {}
        except MarathonError as error:
            if error.status != 409 or self.params['force']:
                raise
        self.wait_for_deployments(self.locking_deployments(), 'the deployment locking %s' % self.app_id)
        return self.client.request(method, path, body=body, ok=ok)[1] or {}

    def locking_deployments(self):
        ids = []
        for deployment in self.client.deployment_ids():
            if self.app_id in (deployment.get('affectedApps') or []):
                ids.append(deployment.get('id'))
        return ids

    def wait_for_deployments(self, ids, what):
        """Wait until none of `ids` is listed in /v2/deployments, or fail at the deadline."""
        pending = set(i for i in ids if i)
        while pending:
            running = set(d.get('id') for d in self.client.deployment_ids())
            pending &= running
            if not pending:
                return
            if time.time() >= self.deadline:
                reasons = self.client.queue_reasons(self.app_id)
                detail = ('; Marathon cannot place tasks: ' + ', '.join(reasons)) if reasons else ''
                raise MarathonError('timed out after %ss waiting for %s (deployment %s) to finish%s; Marathon keeps '
                                    'trying, cancel it with DELETE /v2/deployments/<id> or fix the cause'
                                    % (self.params['wait_timeout'], what, ', '.join(sorted(pending)), detail))
            time.sleep(self.params['poll_interval'])

    def verify(self, version):
        """A deployment that vanished may have been cancelled: check the result itself."""
        while True:
            app = self.client.get_app(self.app_id)
            if app is None:
                raise MarathonError('%s disappeared while deploying version %s' % (self.app_id, version))
            instances = app.get('instances', 1)
            healthy_needed = bool(app.get('healthChecks'))
            ready = (app.get('version') == version and app.get('tasksRunning', 0) >= instances and
                     (not healthy_needed or app.get('tasksHealthy', 0) >= instances))
            if ready:
                return app
            if app.get('version') != version:
                raise MarathonError('the deployment of %s ended but the app is at version %s, not %s: it was '
                                    'cancelled or replaced by another change'
                                    % (self.app_id, app.get('version'), version))
            if time.time() >= self.deadline:
                raise MarathonError('%s version %s has %s running and %s healthy of %s instances after %ss'
                                    % (self.app_id, version, app.get('tasksRunning', 0), app.get('tasksHealthy', 0),
                                       instances, self.params['wait_timeout']))
            time.sleep(self.params['poll_interval'])

    def follow(self, answer, what):
        deployment_id = answer.get('deploymentId')
        if not deployment_id:
            deployments = answer.get('deployments') or []
            deployment_id = deployments[0].get('id') if deployments else None
        result = {'deployment_id': deployment_id, 'version': answer.get('version')}
        if self.params['wait'] and deployment_id:
            self.wait_for_deployments([deployment_id], what)
        return result

    def ensure_present(self, current):
        definition = self.params['definition']
        body_id = definition.get('id')
        if body_id is not None and normalize_app_id(body_id) != self.app_id:
            self.module.fail_json(msg='definition.id %s does not match app_id %s' % (body_id, self.app_id))
        compared_with = current if current is not None else {}
        changed_fields, before, after = compare_definitions(definition, compared_with)
        result = {'changed': current is None or bool(changed_fields), 'changed_fields': changed_fields,
                  'diff': {'before': before if current is not None else {}, 'after': after}}
        if not result['changed'] or self.module.check_mode:
            result['app'] = current or {}
            return result
        body = build_put_body(self.app_id, definition, current)
        answer = self.send_change('PUT', self.client.app_path(self.app_id), body=body)
        result.update(self.follow(answer, 'the deployment of %s' % self.app_id))
        if self.params['wait'] and result.get('version'):
            result['app'] = self.verify(result['version'])
        else:
            result['app'] = self.client.get_app(self.app_id) or {}
        return result

    def ensure_absent(self, current):
        result = {'changed': current is not None, 'app': {},
                  'diff': {'before': {'id': self.app_id} if current is not None else {}, 'after': {}}}
        if current is None or self.module.check_mode:
            return result
        answer = self.send_change('DELETE', self.client.app_path(self.app_id), ok=(200, 202, 404))
        result.update(self.follow(answer, 'the removal of %s' % self.app_id))
        if self.params['wait']:
            while self.client.get_app(self.app_id) is not None:
                if time.time() >= self.deadline:
                    raise MarathonError('%s still exists %ss after its removal' % (self.app_id, self.params['wait_timeout']))
                time.sleep(self.params['poll_interval'])
        result.pop('version', None)
        return result

    def restart(self, current):
        if self.params['definition'] is not None:
            result = self.ensure_present(current)
            if result['changed']:
                # An update replaces every task already.
                return result
            current = result['app']
        elif current is None:
            self.module.fail_json(msg='cannot restart %s: the app does not exist and no definition was given'
                                      % self.app_id)
        result = {'changed': True, 'app': current,
                  'diff': {'before': {'restarted': False}, 'after': {'restarted': True}}}
        if self.module.check_mode:
            return result
        answer = self.send_change('POST', self.client.app_path(self.app_id) + '/restart')
        result.update(self.follow(answer, 'the restart of %s' % self.app_id))
        if self.params['wait'] and result.get('version'):
            result['app'] = self.verify(result['version'])
        return result

    def run(self):
        current = self.client.get_app(self.app_id)
        state = self.params['state']
        if state == 'present':
            return self.ensure_present(current)
        if state == 'absent':
            return self.ensure_absent(current)
        return self.restart(current)


def main():
    argument_spec = dict(
        url=dict(type='str', required=True, fallback=(env_fallback, ['MARATHON_URL'])),
        app_id=dict(type='str', required=True, aliases=['id']),
        definition=dict(type='dict'),
        state=dict(type='str', default='present', choices=['present', 'absent', 'restarted']),
        force=dict(type='bool', default=False),
        wait=dict(type='bool', default=True),
        wait_timeout=dict(type='int', default=600),
        poll_interval=dict(type='float', default=2.0),
        url_username=dict(type='str', fallback=(env_fallback, ['MARATHON_USERNAME'])),
        url_password=dict(type='str', no_log=True, fallback=(env_fallback, ['MARATHON_PASSWORD'])),
        token=dict(type='str', no_log=True, fallback=(env_fallback, ['MARATHON_TOKEN'])),
        validate_certs=dict(type='bool', default=True),
        ca_path=dict(type='path'),
        client_cert=dict(type='path'),
        client_key=dict(type='path'),
        request_timeout=dict(type='float', default=30),
    )
    module = AnsibleModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_if=[('state', 'present', ('definition',))],
        mutually_exclusive=[('token', 'url_username')],
        required_together=[('url_username', 'url_password'), ('client_cert', 'client_key')],
    )
    # fetch_url reads these from module.params; Marathon answers 401 without a challenge
    # on some proxies, so credentials are sent up front.
    module.params['force_basic_auth'] = True
    if module.params['wait_timeout'] < 0:
        module.fail_json(msg='wait_timeout must be 0 or more, got %s' % module.params['wait_timeout'])

    manager = MarathonAppManager(module, MarathonClient(module))
    try:
        result = manager.run()
    except MarathonError as error:
        module.fail_json(msg=to_native(error), app_id=manager.app_id)
    if not module._diff:
        result.pop('diff', None)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
