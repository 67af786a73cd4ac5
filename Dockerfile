# gcmbot: slim image, non-root, data in a volume (SQLite) or in PostgreSQL (docker-compose.yml).
# Not built in CI (no Docker engine there); see README "Deployment".
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY gcmbot ./gcmbot
COPY migrations ./migrations
COPY content ./content
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 gcmbot && mkdir /data && chown gcmbot /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
WORKDIR /app
COPY migrations ./migrations
COPY content ./content
USER gcmbot
# The health endpoint listens inside the container only (127.0.0.1) unless GCMBOT_METRICS_HOST says otherwise.
# The web console is off unless GCMBOT_WEB_PORT is set (8080 in docker-compose.yml); it listens on every
# address of the container (127.0.0.1 inside a container is unreachable from outside it), so whoever
# can reach the published port reaches the login page and the public calendar: publish it on the host's
# 127.0.0.1 only (docker run -p 127.0.0.1:8080:8080) behind an https reverse proxy.
ENV GCMBOT_DATABASE_URL=sqlite:////data/gcmbot.db \
    GCMBOT_WEB_LISTEN=0.0.0.0 \
    GCMBOT_CONTENT_DIR=/app/content \
    GCMBOT_METRICS_PORT=9090 \
    GCMBOT_LOG_FORMAT=json \
    GCMBOT_CACHE_DIR=/data/cache \
    PYTHONUNBUFFERED=1
VOLUME ["/data"]
# 8443: webhook mode; 8080: the web console (GCMBOT_WEB_PORT=8080)
EXPOSE 8443 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('GCMBOT_METRICS_PORT', '9090'), timeout=4)"]
STOPSIGNAL SIGTERM
CMD ["gcmbot", "run"]
