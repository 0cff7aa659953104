# syntax=docker/dockerfile:1
# Build: compile TypeScript with the dev dependencies, then keep only what runs.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the "prepare" build needs the sources, copied below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY workers ./workers
RUN npm run build && npm prune --omit=dev

# Run: the compiled code and production dependencies only, as the unprivileged "node" user.
FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
USER node
# 3000: API, dashboard, metrics. 3001: health and metrics of worker and scheduler processes.
EXPOSE 3000 3001
CMD ["node", "dist/src/cli/main.js", "start"]
