# syntax=docker/dockerfile:1
# The mdeploy toolkit image: what GitLab CI jobs (image: in gitlab-ci/mdeploy.gitlab-ci.yml)
# and Marathon health checks run. Alpine Node, production dependencies only, non-root.
#
#   docker build -t registry.example.com/platform/mdeploy:0.1.0 .
#   docker build --target runner -t registry.example.com/platform/gitlab-runner-mdeploy:0.1.0 .
#
# Node 20.20.2 (the base image's), which satisfies package.json engines (>=20.19).
# Size (estimate, see README "The toolkit image"): the node:20.20.2-alpine3.22 base (~130 MB)
# plus /opt/mdeploy as the replay test installs it (production node_modules and code).
# The image is not built in this repository's CI: that machine has no Docker engine. The test
# suite lints this file (test/dockerfile-lint.test.ts) and replays it, COPY by COPY and RUN by
# RUN, against the build context .dockerignore lets through (test/dockerfile-build.test.ts).
# The release pipeline (.gitlab-ci.yml, toolkit-image) builds it with Buildah.

ARG NODE_IMAGE=node:20.20.2-alpine3.22

# Compile TypeScript with the dev dependencies; none of them reach the final image.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# After compiling, the build writes dist/cli/help.txt, compiles the JSON schemas into
# standalone validators (dist/validators) and bundles the CLI (dist/bundle) with these scripts,
# with the code cache of the image's own Node (made by running the interactive commands once).
COPY scripts/write-help.mjs scripts/build-validators.mjs scripts/bundle-cli.mjs scripts/cli-loader.cjs ./scripts/
COPY schemas ./schemas
RUN npm run build

FROM ${NODE_IMAGE} AS toolkit
ENV NODE_ENV=production
WORKDIR /opt/mdeploy
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency needs an install script, and none may compile code.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
    && npm cache clean --force \
    && printf '#!/bin/sh\nexec node /opt/mdeploy/dist/bundle/mdeploy.js "$@"\n' > /usr/local/bin/mdeploy \
    && chmod 0755 /usr/local/bin/mdeploy
COPY --from=build /src/dist ./dist
COPY schemas ./schemas
COPY marathon ./marathon

# The runner image marathon/gitlab-runner runs: its COMMAND health check calls
# `mdeploy runner-health`, its entrypoint (/opt/mdeploy/marathon/gitlab-runner/entrypoint.sh)
# calls `mdeploy runner-unregister` on stop. The runner keeps the upstream user setup.
FROM gitlab/gitlab-runner:alpine-v17.11.0 AS runner
RUN apk add --no-cache 'nodejs>=20.19'
COPY --from=toolkit /opt/mdeploy /opt/mdeploy
COPY --from=toolkit /usr/local/bin/mdeploy /usr/local/bin/mdeploy
# marathon/gitlab-runner runs this entrypoint: register, run, unregister on SIGTERM.
RUN chmod 0755 /opt/mdeploy/marathon/gitlab-runner/entrypoint.sh

# The default target: the toolkit for CI jobs. No ENTRYPOINT, so GitLab's job shell starts
# normally; the jobs call `mdeploy ...`.
FROM toolkit AS default
# uid/gid of the image's "node" user, numeric so runAsNonRoot-style checks can verify it.
USER 1000:1000
CMD ["mdeploy", "--help"]
