# syntax=docker/dockerfile:1
# Trợ lý 06: the same app as `make run`, listening on port 8000, with its SQLite database in the
# /data volume (set DATABASE_URL to use PostgreSQL instead).

# --- build: a virtual environment with the runtime dependencies pinned in requirements.lock ---
FROM python:3.11-slim-bookworm AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_NO_CACHE=1 \
    UV_PYTHON=/opt/venv/bin/python

WORKDIR /src
RUN python -m venv /opt/venv \
 && pip install --no-cache-dir uv==0.13.9

COPY pyproject.toml requirements.lock ./
# Runtime dependencies only, each at the version the lock pins (the dev tools stay out).
RUN uv pip compile pyproject.toml --constraint requirements.lock --output-file /tmp/runtime.txt \
 && uv pip sync /tmp/runtime.txt

# --- runtime: the venv, the application source, a non-root user ---
FROM python:3.11-slim-bookworm AS runtime

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite:////data/troly06.sqlite3

RUN groupadd --system --gid 10001 troly06 \
 && useradd --system --uid 10001 --gid troly06 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin troly06 \
 && mkdir /data \
 && chown troly06:troly06 /data

COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY pyproject.toml ./
COPY api ./api
COPY bot ./bot
COPY faq ./faq
COPY flows ./flows

USER 10001:10001
VOLUME ["/data"]
EXPOSE 8000

# No curl in the slim image: Python's urllib asks /healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

CMD ["python", "-m", "bot", "serve", "--host", "0.0.0.0", "--port", "8000"]
