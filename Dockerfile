# storenode: one store's node. Installs exactly as README does (./run setup: .venv + constraints.txt).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 STORENODE_CONFIG=/data/store.toml
WORKDIR /app

# libusb: pyusb's backend for usb:// receipt printers (python-escpos's Usb backend)
RUN apt-get update && apt-get install -y --no-install-recommends libusb-1.0-0 && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml constraints.txt README.md run ./
COPY edge ./edge
COPY pos ./pos
COPY devices ./devices
COPY sync ./sync
COPY tui ./tui
COPY firmware-config ./firmware-config
RUN ./run setup && ln -s /app/.venv/bin/storenode /usr/local/bin/storenode

# A non-root user that may open serial scanners/scales (dialout) and USB/parallel printers (lp).
RUN useradd --system --uid 1000 --create-home --groups dialout,lp storenode \
    && mkdir -p /data && chown storenode:storenode /data
USER storenode
VOLUME ["/data"]
EXPOSE 8080

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/app/.venv/bin/python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status == 200 else 1)"]

# The ledger must exist: create it once with `serve --init` (see README, "Container").
CMD ["storenode", "serve", "--host", "0.0.0.0"]
