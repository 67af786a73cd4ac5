# gcmbot: slim image, non-root, data in a volume.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY gcmbot ./gcmbot
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 gcmbot && mkdir /data && chown gcmbot /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
WORKDIR /app
COPY migrations ./migrations
COPY content ./content
USER gcmbot
ENV GCMBOT_DATABASE_URL=sqlite:////data/gcmbot.db \
    GCMBOT_CONTENT_DIR=/app/content \
    PYTHONUNBUFFERED=1
VOLUME ["/data"]
CMD ["gcmbot", "run"]
