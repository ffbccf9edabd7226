# GraphiQL stage: build the GraphiQL page from its pinned npm packages
# (api/graphiql/package-lock.json); the Rust build embeds the result.
FROM node:22-bookworm-slim AS graphiql
WORKDIR /graphiql
COPY api/graphiql/ ./
RUN npm ci --no-audit --no-fund && npm run build

# Build stage: compile the release binary with the locked dependencies.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
COPY --from=graphiql /graphiql/dist /graphiql-dist
ENV NEWSGRAPH_GRAPHIQL_DIST=/graphiql-dist
RUN cargo build --release --locked --bin newsgraph

# Runtime stage: the binary alone (migrations and GraphiQL are compiled into it).
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 newsgraph
COPY --from=build /src/target/release/newsgraph /usr/local/bin/newsgraph
USER newsgraph
ENTRYPOINT ["newsgraph"]
CMD ["--help"]
