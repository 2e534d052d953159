# syntax=docker/dockerfile:1
# tcpping's container image. docs/deploy.md explains each choice; test/deploy/ checks this file and
# performs its build steps outside Docker (no container engine runs in CI).
#
# Node.js 24: the LTS line with the longest support left (to April 2028); Node 22's ends April 2027.
# CI runs the whole test suite on Node 24 as well as 20 and 22 (.ci/node-lines.sh).

FROM node:24-bookworm-slim AS build
# npm ci builds the raw-socket addon (ICMP error capture) with node-gyp: python3, make and g++.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build
RUN npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim AS runtime
# tini is PID 1: it reaps children and forwards SIGTERM, so `docker stop` ends tcpping cleanly (exit 0).
# node-netraw is a copy of node carrying CAP_NET_RAW as a file capability, so the non-root user can
# open the raw ICMP sockets. The entrypoint uses it only when CAP_NET_RAW is in the bounding set:
# with the effective bit set, the kernel refuses to exec it at all (EPERM) when the capability
# cannot be granted, e.g. under `--cap-drop ALL`. Under no-new-privileges it starts but gains
# nothing, and icmp.capture "auto" turns capture off.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini libcap2-bin \
 && mkdir -p /usr/local/lib/tcpping \
 && cp /usr/local/bin/node /usr/local/lib/tcpping/node-netraw \
 && setcap cap_net_raw+ep /usr/local/lib/tcpping/node-netraw \
 && apt-get purge -y --auto-remove libcap2-bin \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
# src/version.ts reads ../package.json relative to dist/.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY config/container.yaml /etc/tcpping/tcpping.yaml
# "node" (uid 1000) comes with the base image; it owns nothing here, so the app files are read-only to it.
USER node
EXPOSE 11000 11001
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["/usr/local/bin/node", "-e", "fetch('http://127.0.0.1:11001/-/healthy').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The image's command is `tcpping`: arguments (CMD, or `docker run IMAGE client HOST`) go to it.
# --max-semi-space-size=8 --initial-old-space-size=16 --heap-growing-percent=30: V8's heap sized for the service (README, "Memory"; src/cli/node-flags.ts).
ENTRYPOINT ["/usr/bin/tini", "--", "/bin/sh", "-c", "b=0; while read -r k v; do [ \"$k\" = CapBnd: ] && b=$v; done < /proc/self/status; n=/usr/local/bin/node; [ $((0x$b >> 13 & 1)) = 1 ] && [ -x /usr/local/lib/tcpping/node-netraw ] && n=/usr/local/lib/tcpping/node-netraw; exec \"$n\" --max-semi-space-size=8 --initial-old-space-size=16 --heap-growing-percent=30 /app/dist/cli/bin.js \"$@\"", "tcpping"]
CMD ["serve", "--config", "/etc/tcpping/tcpping.yaml"]
