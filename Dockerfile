# One image for every sportsfeed verb: `docker run IMAGE produce`, `... process`, `... topics`.
# The local stack (`sportsfeed stack`, `demo`) needs Java and is not meant for this image: in a
# cluster, KAFKA_BOOTSTRAP_SERVERS and SCHEMA_REGISTRY_URL point at your own servers.
#
# BASE is CPython 3.11 on Debian bookworm (glibc, x86_64: the wheels requirements.lock hashes),
# pinned by digest at build time, e.g.
#   docker build --build-arg BASE=python:3.11-slim-bookworm@sha256:<digest> -t IMAGE .
# (`docker buildx imagetools inspect python:3.11-slim-bookworm` prints the current digest.)
ARG BASE

# Build: a virtualenv with exactly the locked wheels (hash-checked), then the project itself.
FROM ${BASE} AS build

ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY requirements.lock ./
RUN python3 -m venv /opt/sportsfeed \
 && /opt/sportsfeed/bin/pip install --require-hashes --only-binary=:all: -r requirements.lock

COPY pyproject.toml README.md ./
COPY sportsfeed ./sportsfeed
COPY producers ./producers
COPY processors ./processors
COPY schemas ./schemas
RUN /opt/sportsfeed/bin/pip install --no-deps --no-build-isolation . \
 && /opt/sportsfeed/bin/pip uninstall --yes setuptools wheel pip

# Runtime: the base and the virtualenv, nothing of the build.
FROM ${BASE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/sportsfeed/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    SPORTSFEED_DATA_DIR=/var/lib/sportsfeed \
    SPORTSFEED_METRICS_HOST=0.0.0.0

COPY --from=build /opt/sportsfeed /opt/sportsfeed
RUN useradd --system --uid 10001 --home-dir /var/lib/sportsfeed --create-home sportsfeed

USER 10001
EXPOSE 9464 9465
ENTRYPOINT ["sportsfeed"]
CMD ["--help"]
