"""Drives thefactory's marathon-python (Debian python3-marathon 0.13.0) for the test suite.

One JSON request per stdin line: {"id": n, "call": "<MarathonClient method>", "args": [...],
"kwargs": {...}}, or one of the extra calls below. One JSON answer per stdout line: {"id": n,
"ok": true, "result": ...} or {"id": n, "ok": false, "error": {"type", "status", "body"}}.
The test holds the simulator's clock, so every call is answered against a cluster that only
moves when the test steps it.

Where marathon-python lags Marathon 1.10/1.11 the driver patches the client, never the
simulator; each patch says which field or route the client does not know.
"""

import json
import sys
import threading

from marathon import MarathonClient, MarathonHttpError
from marathon.models import MarathonApp, MarathonGroup, MarathonQueueItem
from marathon.models.deployment import MarathonDeploymentOriginalState, MarathonDeploymentTargetState
from marathon.util import MarathonJsonEncoder

# Client lag 1: the queue item has no `role` (Marathon 1.5+ sends it), so from_json raises TypeError.
_queue_init = MarathonQueueItem.__init__


def _queue_item_init(self, role=None, **kwargs):
    _queue_init(self, **kwargs)
    self.role = role


MarathonQueueItem.__init__ = _queue_item_init

# Client lag 2: event plans must carry `original` and `target` groups; Marathon 1.8+ sends
# only {id, steps, version}, and from_json(None) raises AttributeError.
for _state in (MarathonDeploymentOriginalState, MarathonDeploymentTargetState):
    _state.from_json = classmethod(lambda cls, attributes, _orig=_state.from_json: None if attributes is None else _orig(attributes))

# Client lag 3: GroupInfo's `enforceRole` (Marathon 1.9+) is not a MarathonGroup argument.
_group_init = MarathonGroup.__init__


def _group_info_init(self, enforce_role=None, **kwargs):
    _group_init(self, **kwargs)
    self.enforce_role = enforce_role


MarathonGroup.__init__ = _group_info_init

# Client lag 5: AppInfo's `tasksStats` (embed=app.taskStats) arrives as tasks_stats; the client only takes task_stats.
_app_init = MarathonApp.__init__


def _app_info_init(self, tasks_stats=None, **kwargs):
    _app_init(self, **kwargs)
    if tasks_stats is not None:
        self.task_stats = tasks_stats


MarathonApp.__init__ = _app_info_init

client = None
events = []
event_errors = []
arrived = threading.Condition()


def to_json(value):
    return json.loads(json.dumps(value, cls=MarathonJsonEncoder))


def follow_events():
    try:
        for event in client.event_stream():
            with arrived:
                events.append({"class": type(event).__name__, "event_type": event.event_type, "attributes": to_json(event.json_repr())})
                arrived.notify_all()
    except Exception as error:  # the test asserts that this list stays empty
        with arrived:
            event_errors.append(f"{type(error).__name__}: {error}")
            arrived.notify_all()


def wait_events(event_type, count, timeout_seconds=10):
    """Blocks (bounded) until `count` events of `event_type` were parsed, or the stream failed."""
    def enough():
        return event_errors or sum(1 for e in events if e["event_type"] == event_type) >= count
    with arrived:
        arrived.wait_for(enough, timeout=timeout_seconds)
        return {"events": list(events), "errors": list(event_errors)}


def group_rollback(group_id, version, force=False):
    # Client lag 4: rollback_group PUTs /v2/groups/{id}/versions/{version}, a route no Marathon
    # release has (GroupsResource reads that path as a group id); Marathon rolls a group back
    # with PUT /v2/groups/{id} and body {"version": ...} (GroupApiService.updateGroup).
    response = client._do_request("PUT", f"/v2/groups/{group_id}", params={"force": force}, data=json.dumps({"version": version}))
    return response.json()


def raw(method, path, params=None, body=None):
    response = client._do_request(method, path, params=params, data=None if body is None else json.dumps(body))
    return {"status": response.status_code, "body": response.json() if response.text else None}


def handle(request):
    global client
    call = request["call"]
    args = request.get("args", [])
    kwargs = request.get("kwargs", {})
    if call == "connect":
        client = MarathonClient(*args, **kwargs)
        return None
    if call == "follow_events":
        # Returns once the stream is attached, so no later change can slip past it.
        threading.Thread(target=follow_events, daemon=True).start()
        seen = wait_events("event_stream_attached", 1)
        if not any(e["event_type"] == "event_stream_attached" for e in seen["events"]):
            raise RuntimeError(f"the event stream did not attach: {seen['errors']}")
        return None
    if call == "wait_events":
        return wait_events(*args, **kwargs)
    if call == "group_rollback":
        return group_rollback(*args, **kwargs)
    if call == "raw":
        return raw(*args, **kwargs)
    if call == "create_app":
        return to_json(client.create_app(args[0], MarathonApp.from_json(args[1]), **kwargs))
    if call == "update_app":
        return to_json(client.update_app(args[0], MarathonApp(**args[1]), **kwargs))
    if call == "create_group":
        return to_json(client.create_group(MarathonGroup.from_json(args[0])))
    if call == "update_group":
        return to_json(client.update_group(args[0], MarathonGroup.from_json(args[1]), **kwargs))
    result = getattr(client, call)(*args, **kwargs)
    if isinstance(result, bytes):
        return result.decode("utf-8")
    return to_json(result)


for line in sys.stdin:
    request = json.loads(line)
    try:
        answer = {"id": request["id"], "ok": True, "result": handle(request)}
    except MarathonHttpError as error:
        answer = {"id": request["id"], "ok": False, "error": {"type": type(error).__name__, "status": error.status_code, "body": error.error_message}}
    except Exception as error:
        answer = {"id": request["id"], "ok": False, "error": {"type": type(error).__name__, "status": None, "body": str(error)}}
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
