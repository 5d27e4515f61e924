# Tracking Service container image.
#
#   docker build -t tracking-service .
#   docker run -e DATABASE_URL=postgres://user:pass@host:5432/db -p 8080:8080 tracking-service
#
# Migrations run at start (MIGRATE_ON_START=true by default). To run them as a separate step
# instead (e.g. a Kubernetes Job), start the container with MIGRATE_ON_START=false and run
#   docker run --rm -e DATABASE_URL=... tracking-service node dist/cmd/migrate.js
#
# Plain Dockerfile syntax only (no BuildKit-only features), so the legacy builder and
# docker-compose v1 can build it too.

# ---- build: full dependency tree, compile TypeScript to dist/ ---------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
# @scarf/scarf is denied in package.json's allowScripts (npm 11); npm 10, which the official
# node:20 images ship, ignores allowScripts and runs every install script, so opt out here too.
ENV SCARF_ANALYTICS=false DO_NOT_TRACK=1
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY nest-cli.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY cmd ./cmd
COPY migrations ./migrations
# The dashboard (Vite builds it into dist/web, which the runtime stage copies with the rest).
COPY web ./web
RUN npm run build

# ---- deps: production dependencies only -------------------------------------------------
# A separate clean install rather than `npm prune`, so this layer is cached independently of
# the source and never holds anything the build stage left behind. It still contains
# embedded-postgres (a production dependency, loaded only when DATABASE_URL is unset).
FROM node:20-bookworm-slim AS deps
WORKDIR /app
ENV NODE_ENV=production SCARF_ANALYTICS=false DO_NOT_TRACK=1
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- runtime -----------------------------------------------------------------------------
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=8080 \
    REQUIRE_API_KEYS=true \
    METRICS_CRON_ENABLED=true \
    NO_COLOR=1
WORKDIR /app
# The app user: uid/gid 10001, well clear of the ids a host's own users get (1000 upwards), so
# that without user namespaces the process is nobody on the host; deploy/k8s runs pods with the
# same runAsUser/runAsGroup. No login shell, no home directory. The passwd entry lets tools that look the user up (os.userInfo())
# work; USER names the ids numerically so that Kubernetes' runAsNonRoot can verify them.
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin app
# Owned by root and read-only for the app user: the service writes nothing to its own tree
# (with DATABASE_URL set it also runs on a read-only root file system, as in deploy/k8s).
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health/ready',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]
# Exec form: node is the container's main process (the base image's entrypoint execs it), so
# SIGTERM from `docker stop` reaches it; the service handles SIGTERM and exits 0.
CMD ["node", "dist/src/main.js"]
