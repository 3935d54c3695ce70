# syntax=docker/dockerfile:1
# The image of any one service: the service and its port are build arguments (compose.yaml passes
# them). Build from the repository root, e.g.
#   docker build --build-arg SERVICE=catalog --build-arg PORT=8001 -t shop-catalog .

# deps: production dependencies from the lock file. Every workspace's package.json must be present
# for the workspace lock to resolve, even the services this image does not run.
FROM oven/bun:1.4 AS deps
WORKDIR /app
COPY package.json bun.lock ./
COPY kernel/package.json kernel/
COPY platform/package.json platform/
COPY auth/package.json auth/
COPY catalog/package.json catalog/
COPY order/package.json order/
COPY client/package.json client/
COPY client/scripts/package.json client/scripts/
# Dependencies patched by the lock (package.json patchedDependencies) need their patches at install.
COPY patches/ patches/
RUN bun install --frozen-lockfile --production

# runtime: the dependencies (node_modules, with the workspace links bun made) plus the kernel, the
# platform and the service's sources and migrations, owned by root and run as the unprivileged bun user.
FROM oven/bun:1.4 AS runtime
# Which service (auth, catalog or order) and the port it listens on; both required.
ARG SERVICE
ARG PORT
RUN case "$SERVICE" in auth|catalog|order) ;; \
    *) echo "build with --build-arg SERVICE=auth|catalog|order (got '$SERVICE')" >&2; exit 1 ;; esac \
  && case "$PORT" in ''|*[!0-9]*) echo "build with --build-arg PORT=<number> (got '$PORT')" >&2; exit 1 ;; esac
WORKDIR /app
ENV NODE_ENV=production SERVICE=${SERVICE} PORT=${PORT}
COPY --from=deps /app ./
COPY tsconfig.json ./
COPY kernel/ kernel/
COPY platform/ platform/
COPY ${SERVICE}/ ${SERVICE}/
# LOG_DIR in compose.yaml; a named volume mounted here starts with this ownership.
RUN mkdir -p /var/log/shop && chown bun:bun /var/log/shop
USER bun
EXPOSE ${PORT}
STOPSIGNAL SIGTERM
# No curl in the image: bun itself probes readiness (database and broker reachable).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["bun", "-e", \
    "fetch('http://127.0.0.1:'+process.env.PORT+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# exec: bun replaces the shell and is PID 1, so it receives the SIGTERM itself.
CMD ["sh", "-c", "exec bun \"$SERVICE/src/main.ts\""]
