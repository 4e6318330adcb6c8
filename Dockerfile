# The NAAS image: `naas serve` by default; the same image runs `naas db upgrade`, `naas worker`
# and `naas scheduler` (compose.yaml). Layouts and settings: docs/deployment.md.

# -- builder: the project's wheel and a wheel of every dependency ------------------------------
FROM python:3.11-slim-bookworm AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
COPY . .
# requirements/runtime.txt pins every dependency to the version CI tested, with its hashes: the
# wheels are checked against them as they are downloaded. The project's own wheel adds nothing.
RUN pip wheel --wheel-dir /wheels --require-hashes -r requirements/runtime.txt \
 && pip wheel --wheel-dir /wheels --no-deps . \
 && cp requirements/runtime.txt /wheels/requirements.txt

# -- runtime: system libraries, the installed wheel, a user without privileges -----------------
FROM python:3.11-slim-bookworm AS runtime
# GUNICORN_CMD_ARGS: gunicorn's worker heartbeat files in memory, not on the overlay file system.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PATH=/opt/naas/venv/bin:$PATH \
    GUNICORN_CMD_ARGS="--worker-tmp-dir /dev/shm"

# The Debian packages, from the one script a plain machine runs too.
COPY deploy/system-packages.sh /usr/local/sbin/naas-system-packages
RUN sh /usr/local/sbin/naas-system-packages --clean

RUN groupadd --system naas \
 && useradd --system --gid naas --home-dir /opt/naas --no-create-home --shell /usr/sbin/nologin naas

# Installed from the builder's wheels only: nothing is fetched here. The instance folder (Flask's,
# for this virtual environment) must exist and belong to the app's user; production keeps
# nothing in it.
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    python -m venv /opt/naas/venv \
 && /opt/naas/venv/bin/pip install --no-index --find-links /wheels --require-hashes \
        -r /wheels/requirements.txt \
 && /opt/naas/venv/bin/pip install --no-index --find-links /wheels --no-deps naas \
 && mkdir -p /opt/naas/venv/var/naas.app-instance \
 && chown naas:naas /opt/naas/venv/var/naas.app-instance

USER naas
WORKDIR /opt/naas
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/livez', timeout=4)"]
ENTRYPOINT ["naas"]
CMD ["serve", "--bind", "0.0.0.0:8000"]
