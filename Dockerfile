# syntax=docker/dockerfile:1
# The users app (apps/users) with the cache library compiled in. See docker-compose.yml.

# --- build: every dependency, then `tsc` into dist/users --------------------------------------
FROM node:20-slim AS build
WORKDIR /app
# better-sqlite3 downloads a prebuilt binary; the toolchain builds it when none fits the platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY libs/cache/src ./libs/cache/src
COPY apps/users ./apps/users
RUN npm run build:users && npm prune --omit=dev --no-audit --no-fund

# --- runtime: the compiled app, as the unprivileged node user ---------------------------------
FROM node:20-slim
ENV NODE_ENV=production \
    PORT=3000 \
    DATABASE_PATH=/data/users.db
WORKDIR /app
# Runtime dependencies only (pruned in the build stage).
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/users ./dist/users
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The app drains requests in flight on SIGTERM, then closes Redis and SQLite.
STOPSIGNAL SIGTERM
CMD ["node", "dist/users/apps/users/src/main.js"]
