# A minimal image for the scalewarden service. Runs as an unprivileged user; no AWS or Slack
# credentials are baked in: pass them at run time (environment or an instance role).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    SCALEWARDEN_KNOWLEDGE_DIR=/app/knowledge \
    SCALEWARDEN_DATABASE_URL=sqlite:////data/scalewarden.db

WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
COPY knowledge ./knowledge
RUN pip install '.[postgres]' \
    && useradd --system --uid 10001 --home /data scalewarden \
    && mkdir -p /data && chown scalewarden /data

USER scalewarden
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:3000/healthz').status == 200 else 1)"
CMD ["scalewarden", "serve", "--host", "0.0.0.0", "--port", "3000"]
