# syntax=docker/dockerfile:1
#
# The web image:  docker build -t attachments .
#                 docker run -p 8000:8000 -v attachments-data:/data \
#                   -e DJANGO_SECRET_KEY=... -e DJANGO_ALLOWED_HOSTS=files.example.com attachments
# Migrations:     docker run --rm -v attachments-data:/data -e DJANGO_SECRET_KEY=... attachments python manage.py migrate
# The worker:     the same image with the command  celery -A config worker --loglevel=INFO
# A bind-mounted /data must be writable by uid 10001.

# --- builder: wheels for every pinned dependency, installed into a virtualenv the runtime copies as is.
FROM python:3.11-slim AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
COPY requirements.txt /tmp/requirements.txt
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip wheel --wheel-dir /wheels -r /tmp/requirements.txt \
    && /opt/venv/bin/pip install --no-index --find-links /wheels -r /tmp/requirements.txt

# --- runtime: no compilers, no pip cache, no wheels; code owned by root, so the app cannot rewrite itself.
FROM python:3.11-slim AS runtime
# MALLOC_ARENA_MAX: an S3 upload's threads each kept a malloc arena of freed 8 MB parts; with 2, a 200 MB save's
# worker peaked at 174 MB instead of 223 (docs/performance.md, "Issue 23: load and S3 save").
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DATA_DIR=/data \
    DJANGO_DEBUG=false \
    WEB_CONCURRENCY=2 \
    MALLOC_ARENA_MAX=2
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app \
    && mkdir /data \
    && chown app:app /data
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
COPY . /app
# Static files are part of the build. STATIC_ROOT lives under DATA_DIR, which is a volume at run time, so
# they are collected aside (with a throw-away key that never reaches the image) and linked in at start.
RUN DJANGO_SECRET_KEY=collectstatic-only-not-a-secret DATA_DIR=/tmp/build-data \
        python manage.py collectstatic --noinput \
    && mv /tmp/build-data/static /app/staticfiles \
    && rm -rf /tmp/build-data \
    && python -m compileall -q /app
USER app
VOLUME ["/data"]
EXPOSE 8000
# The slim image has no curl; the check is a few lines of Python against the local server.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["python", "/app/scripts/healthcheck.py"]
ENTRYPOINT ["/bin/sh", "/app/scripts/docker-entrypoint.sh"]
# gunicorn reads its number of worker processes from WEB_CONCURRENCY. Never one single-threaded worker: the
# connection check waits in a request while the Document Server downloads a file from this same server.
# Its control socket is not used (and would need a writable home).
ENV WEB_CONCURRENCY=2
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--worker-class", "gthread", "--threads", "4", "--access-logfile", "-", "--worker-tmp-dir", "/dev/shm", "--no-control-socket"]
