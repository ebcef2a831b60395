# Trellis server image. NOT tested on the machine this repository is built on (it has no
# container runtime): treat it as a starting point and check it before relying on it.
# Build: docker build -t trellis .
# Run:   docker run -p 3000:3000 -e DATABASE_URL=postgres://… -e PUBLIC_URL=https://… trellis
#        (without DATABASE_URL it serves SQLite from /data, which you should mount a volume on)

FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 falls back to compiling when no prebuilt binary matches.
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends build-essential python3 \
  && rm -rf /var/lib/apt/lists/* && npm i -g -E pnpm@12.4.2
COPY . .
RUN pnpm install --frozen-lockfile \
  && pnpm exec turbo run build --filter=@trellis/server... --filter=@trellis/dashboard

FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATABASE_URL=file:/data/trellis.db
WORKDIR /app
# The server is one bundle (apps/server/dist/main.js); its native modules (better-sqlite3,
# @node-rs/argon2) and the dashboard's built files come from the build stage as they are.
COPY --from=build /app /app
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
# /readyz answers 503 while the database is unreachable or migrations are behind.
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "--optimize-for-size", "apps/server/dist/main.js"]
