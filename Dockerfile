# syntax=docker/dockerfile:1
# The scalewarden service. Two stages: the builder turns the dependencies and then the project
# into wheels; the runtime image installs those wheels only (no compiler, no source tree).
# No AWS or Slack credentials are baked in: pass them at run time (environment, secrets, or an
# instance or task role). See docs/operations.md.

FROM python:3.11-slim AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /build
# Dependencies first, from pyproject.toml alone: a change to the source reuses this layer.
COPY pyproject.toml ./
RUN python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
print('\n'.join(p['dependencies'] + p['optional-dependencies']['postgres']))" > requirements.txt \
    && pip wheel --wheel-dir /wheels/deps -r requirements.txt
# Then the project itself (the knowledge base ships inside it as package data).
COPY README.md ./
COPY src ./src
RUN pip wheel --no-deps --wheel-dir /wheels/app .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SCALEWARDEN_DATABASE_URL=sqlite:////data/scalewarden.db \
    SCALEWARDEN_CACHE_DIR=/data/cache \
    SCALEWARDEN_LOG_FORMAT=json
RUN useradd --system --uid 10001 --home-dir /data scalewarden \
    && mkdir -p /data && chown scalewarden /data
COPY --from=builder /wheels/deps /wheels/deps
RUN pip install --no-index /wheels/deps/*.whl && rm -rf /wheels/deps
COPY --from=builder /wheels/app /wheels/app
RUN pip install --no-index --no-deps /wheels/app/*.whl && rm -rf /wheels/app

USER scalewarden
WORKDIR /data
# The SQLite default and the search index cache. With PostgreSQL only the cache is kept here.
VOLUME ["/data"]
EXPOSE 3000
# The index loads in a few seconds at start: the start period keeps those from counting.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=4).status == 200 else 1)"]
CMD ["scalewarden", "serve", "--host", "0.0.0.0", "--port", "3000"]
