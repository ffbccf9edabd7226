# Build stage: compile the release binary with the locked dependencies.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin newsgraph

# Runtime stage: the binary alone (migrations are compiled into it).
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 newsgraph
COPY --from=build /src/target/release/newsgraph /usr/local/bin/newsgraph
USER newsgraph
ENTRYPOINT ["newsgraph"]
CMD ["--help"]
