#!/bin/sh
# Entrypoint for a GitLab runner container run by Marathon (image: gitlab-runner + Node.js
# + mdeploy). It registers the container on first start, runs gitlab-runner with its
# metrics endpoint on for `mdeploy runner-health`, and on SIGTERM (Marathon killing or
# replacing the task) stops the runner gracefully and then removes this container's
# registration with `mdeploy runner-unregister`, so registrations do not outlive containers.
#
# Environment:
#   CI_SERVER_URL              GitLab URL (required)
#   GITLAB_RUNNER_TOKEN        runner authentication token, glrt-... (required on first start)
#   RUNNER_EXECUTOR            executor for registration (default: shell)
#   RUNNER_LISTEN_ADDRESS      metrics address (default: :9252)
#   RUNNER_STOP_GRACE          seconds a running job may take to finish after SIGTERM (default: 60);
#                              keep it below the app's taskKillGracePeriodSeconds, minus ~10 s to unregister
#   GITLAB_RUNNER_CONFIG_DIR   config directory (default: /etc/gitlab-runner)
#   MDEPLOY                    mdeploy command (default: mdeploy)
set -eu

CONFIG_DIR="${GITLAB_RUNNER_CONFIG_DIR:-/etc/gitlab-runner}"
CONFIG="$CONFIG_DIR/config.toml"
MDEPLOY="${MDEPLOY:-mdeploy}"
: "${CI_SERVER_URL:?CI_SERVER_URL must be set}"

if [ ! -s "$CONFIG" ]; then
  : "${GITLAB_RUNNER_TOKEN:?GITLAB_RUNNER_TOKEN must be set to register}"
  # The token goes through the environment, not argv, so it does not show in process lists.
  CI_SERVER_TOKEN="$GITLAB_RUNNER_TOKEN" gitlab-runner register --non-interactive \
    --config "$CONFIG" --url "$CI_SERVER_URL" --executor "${RUNNER_EXECUTOR:-shell}"
  # Top-level keys must come before the first table, so this goes on line 1
  # (printf + cat rather than `sed -i 1i`, which busybox images lack).
  if ! grep -q '^listen_address' "$CONFIG"; then
    { printf 'listen_address = "%s"\n' "${RUNNER_LISTEN_ADDRESS:-:9252}"; cat "$CONFIG"; } > "$CONFIG.tmp"
    mv "$CONFIG.tmp" "$CONFIG"
  fi
fi

unregister() {
  # Never let a failed unregister keep the container alive; GitLab prunes stale managers eventually.
  "$MDEPLOY" runner-unregister --runner-config "$CONFIG" --timeout 10 || true
}

gitlab-runner run --config "$CONFIG" --working-directory "${RUNNER_WORKING_DIR:-/home/gitlab-runner}" &
runner=$!

on_term() {
  trap '' TERM INT
  # SIGQUIT is gitlab-runner's graceful stop: no new jobs, running ones finish.
  kill -QUIT "$runner" 2>/dev/null || true
  # Bound the graceful stop so unregistering still happens before Marathon's SIGKILL.
  (
    trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
    sleep "${RUNNER_STOP_GRACE:-60}" &
    sleeper=$!
    wait "$sleeper"
    kill -TERM "$runner" 2>/dev/null || true
  ) >/dev/null 2>&1 &
  watchdog=$!
  wait "$runner" || true
  kill "$watchdog" 2>/dev/null || true
  unregister
  exit 0
}
trap on_term TERM INT

# `wait` returns early when a trapped signal arrives; the trap then exits the script.
set +e
wait "$runner"
status=$?
set -e
# The runner stopped on its own: this registration is no longer served either.
unregister
exit "$status"
