# One image for every sportsfeed verb: `docker run IMAGE produce`, `... process`, `... topics`.
# The local stack (`sportsfeed stack`, `demo`) needs Java and is not meant for this image: in a
# cluster, KAFKA_BOOTSTRAP_SERVERS and SCHEMA_REGISTRY_URL point at your own servers.
FROM python:3.11.7-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SPORTSFEED_DATA_DIR=/var/lib/sportsfeed \
    SPORTSFEED_METRICS_HOST=0.0.0.0

WORKDIR /app

# Dependencies first, from the project's own pins: this layer is reused until pyproject changes.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
 && pip install -r requirements.txt

# Then the code, without re-resolving anything.
COPY README.md ./
COPY sportsfeed ./sportsfeed
COPY infra ./infra
COPY producers ./producers
COPY processors ./processors
COPY schemas ./schemas
COPY simulator ./simulator
RUN pip install --no-deps . \
 && useradd --system --uid 10001 --home-dir /var/lib/sportsfeed --create-home sportsfeed

USER 10001
EXPOSE 9464 9465
ENTRYPOINT ["sportsfeed"]
CMD ["--help"]
