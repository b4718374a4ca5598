# Build stage: compile the emulator.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY migrations ./migrations
# build.rs embeds the documented samples (examples of the OpenAPI document and the Postman collection).
COPY build.rs ./
COPY tests/samples ./tests/samples
RUN cargo build --release --locked && strip target/release/capillary-emulator

# Runtime stage: the binary, the default fixtures and an unprivileged user; no toolchain.
FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin emulator
WORKDIR /app
COPY --from=build /src/target/release/capillary-emulator /usr/local/bin/capillary-emulator
COPY fixtures ./fixtures
USER emulator
ENV EMULATOR_LISTEN=0.0.0.0:8080 \
    EMULATOR_FIXTURES=/app/fixtures/default \
    EMULATOR_DATA_DIR=/app/.emulator
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=12 CMD ["capillary-emulator", "healthcheck"]
ENTRYPOINT ["capillary-emulator"]
CMD ["serve"]
