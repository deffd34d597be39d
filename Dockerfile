# The Kiosk relay in a container, for operators who run containers (the Debian package,
# scripts/package-deb.sh, is the other way; both run the same `serve`).
#
#   docker build -t kiosk-relay .
#   docker run -d --name kiosk-relay -p 8443:8443 \
#     -v /srv/kiosk-relay/etc:/etc/kiosk-relay:ro \
#     -v kiosk-relay-data:/var/lib/kiosk-relay \
#     kiosk-relay
#
# /etc/kiosk-relay (mounted read-only) holds relay.toml and the certificate and key it
# names; /var/lib/kiosk-relay (a volume) holds the database and the relay's keys. The
# relay runs as the unprivileged user kiosk-relay (uid 10001): the mounted files must be
# readable by it. scripts/check-package.sh builds this image and runs it where a
# container engine is usable.

# Build stage: the workspace's release build of the relay only.
FROM rust:1.90-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p kiosk-sync-server \
    && install -m 0755 -s target/release/kiosk-sync-server /usr/local/bin/kiosk-sync-server

# Run stage: Debian slim, no compiler, no shell tools beyond the base image's.
FROM debian:bookworm-slim
RUN groupadd --system --gid 10001 kiosk-relay \
    && useradd --system --uid 10001 --gid kiosk-relay --home-dir /var/lib/kiosk-relay \
        --no-create-home --shell /usr/sbin/nologin kiosk-relay \
    && install -d -o kiosk-relay -g kiosk-relay -m 0700 /var/lib/kiosk-relay \
    && install -d -m 0755 /etc/kiosk-relay
COPY --from=build /usr/local/bin/kiosk-sync-server /usr/bin/kiosk-sync-server
# The example settings (data in /var/lib/kiosk-relay, certificate and key in
# /etc/kiosk-relay): a mount over /etc/kiosk-relay replaces them with the operator's.
COPY sync-server/relay.example.toml /etc/kiosk-relay/relay.toml
USER kiosk-relay:kiosk-relay
# Plain log lines for `docker logs`, without terminal colour codes.
ENV NO_COLOR=1
WORKDIR /var/lib/kiosk-relay
VOLUME ["/var/lib/kiosk-relay"]
EXPOSE 8443
ENTRYPOINT ["/usr/bin/kiosk-sync-server"]
CMD ["serve", "--config", "/etc/kiosk-relay/relay.toml"]
