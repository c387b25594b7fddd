# civicbot: a slim image running as an unprivileged user. See README, "Running in a container".
#   docker build -t civicbot .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md config.example.toml ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
COPY scheduler ./scheduler
RUN pip install . && rm -rf /src \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin civicbot \
    && mkdir -p /data /etc/civicbot && chown civicbot:civicbot /data

USER civicbot
WORKDIR /data
VOLUME ["/data"]
# The database lives in the volume: the config's [storage] path must point into /data, or set
# CIVICBOT_STORAGE__PATH (compose.yaml does).
ENV CIVICBOT_STORAGE__PATH=/data/civicbot.db

# The health endpoint inside the container (not published): healthy while getUpdates works,
# the database answers and the outbox is not stuck (README, "Health and metrics").
ENV CIVICBOT_OPS__LISTEN=127.0.0.1:9181
HEALTHCHECK --interval=60s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9181/health', timeout=8)"]

STOPSIGNAL SIGTERM
ENTRYPOINT ["civicbot"]
CMD ["run", "--config", "/etc/civicbot/config.toml"]
