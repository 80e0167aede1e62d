# Multi-stage build of the `pingyi` binary. Used by docker-compose.yml.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p pingyi-api --bin pingyi

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/pingyi --create-home pingyi
COPY --from=build /src/target/release/pingyi /usr/local/bin/pingyi
USER pingyi
WORKDIR /var/lib/pingyi
ENV PINGYI_BIND=0.0.0.0:8080 \
    PINGYI_DATA_DIR=/var/lib/pingyi/data
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["pingyi"]
CMD ["serve"]
