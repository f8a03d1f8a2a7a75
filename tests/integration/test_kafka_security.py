"""Kafka over SASL_SSL: the pipeline with SCRAM, each mechanism's login, and clear refusals.

A broker of the module's own gets a second listener, SASL_SSL, with a certificate from a
throw-away authority and one user for PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from schemas.outputs import FIXTURE_FINISHED
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.settings import load_settings
from sportsfeed.core.topics import Topics
from sportsfeed.core.vendor import Feed, Sport
from sportsfeed.simulator.catalogue import generate_catalogue
from sportsfeed.stack.kafka import KafkaBroker, SaslSslListener
from sportsfeed.stack.local import fetch_all
from sportsfeed.stack.processes import free_port
from sportsfeed.verbs.process import spawn_worker, stop_worker
from tests.certificates import ServerCertificate, issue
from tests.integration.pipeline import (
    PARTITIONS,
    environment,
    fresh_topics,
    read_avro,
    running_simulator,
    settings_from,
    wait_until_consumed,
)

USER = "sportsfeed-app"
PASSWORD = f"pw-{uuid.uuid4().hex}"


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, ServerCertificate]]:
    """The SASL_SSL port of a private broker, and the certificate it presents."""
    directory = tmp_path_factory.mktemp("secured")
    certificate = issue(directory / "tls")
    listener = SaslSslListener(free_port(), certificate.keystore, {USER: PASSWORD})
    kafka_libs, _ = fetch_all(load_settings())
    broker = KafkaBroker(kafka_libs, directory / "kafka", PARTITIONS, sasl=listener)
    broker.start()
    yield listener.port, certificate
    broker.stop()


def _security(
    port: int, certificate: ServerCertificate, mechanism: str, password: str = PASSWORD
) -> dict[str, str]:
    return {
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{port}",
        "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "KAFKA_SASL_MECHANISM": mechanism,
        "KAFKA_SASL_USERNAME": USER,
        "KAFKA_SASL_PASSWORD": password,
        "KAFKA_SSL_CA_FILE": str(certificate.ca),
    }


def _endpoints(stack: Endpoints, security: dict[str, str]) -> Endpoints:
    settings = settings_from(security | {"SCHEMA_REGISTRY_URL": stack.registry_url})
    return Endpoints(
        security["KAFKA_BOOTSTRAP_SERVERS"], stack.registry_url, security=settings.kafka_security
    )


async def _run(verb: str, env: dict[str, str], log: Path) -> int:
    """`sportsfeed VERB` with `env`, its output in `log` (a file: DEBUG output fills pipes)."""
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "sportsfeed",
            verb,
            env={**os.environ, **env},
            stdout=output,
            stderr=output,
        )
        return await asyncio.wait_for(process.wait(), 120)


async def test_the_pipeline_runs_over_sasl_ssl_with_scram(
    stack: Endpoints, secured: tuple[int, ServerCertificate], tmp_path: Path
) -> None:
    security = _security(*secured, "SCRAM-SHA-512")  # Strimzi's default
    own = _endpoints(stack, security)
    prefix, topics = await fresh_topics(own)
    fixtures = generate_catalogue(5, seed=73)
    assert {f.sport for f in fixtures.values()} == set(Sport)
    logs = {verb: tmp_path / f"{verb}.log" for verb in ("produce", "process")}
    async with running_simulator(fixtures) as simulator:
        env = (
            environment(
                own,
                prefix,
                simulator,
                SPORTSFEED_SPEED="fast",
                SPORTSFEED_DATA_DIR=str(tmp_path),
                SPORTSFEED_LOG_LEVEL="DEBUG",
                SPORTSFEED_METRICS_PORT=str(free_port()),
            )
            | security
        )
        with logs["process"].open("wb") as output:
            worker = spawn_worker(own, output, **env)
        code = await _run("produce", env | {"SPORTSFEED_METRICS_PORT": "0"}, logs["produce"])
    assert code == 0, logs["produce"].read_text()[-4000:]
    raw_topics = [topics.raw(feed) for feed in Feed]
    done = await wait_until_consumed(own, topics.processor_group, raw_topics, 120, worker)
    await stop_worker(worker, 30)
    assert done, logs["process"].read_text()[-4000:]

    finished = dict(await read_avro(own, topics.fixture_finished, FIXTURE_FINISHED))
    assert finished.keys() == fixtures.keys()
    for fixture_id, fixture in fixtures.items():
        truth = fixture.truth()
        event = finished[fixture_id]
        assert (event["homeScore"], event["awayScore"]) == (truth["homeScore"], truth["awayScore"])
        assert event["winner"] == str(truth["winner"]).upper()
    for log in logs.values():
        text = log.read_text()
        assert f"Authenticated as {USER} via SCRAM-SHA-512" in text  # the login was logged
        assert PASSWORD not in text


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256"])
async def test_every_mechanism_logs_in(
    stack: Endpoints, secured: tuple[int, ServerCertificate], mechanism: str, tmp_path: Path
) -> None:
    security = _security(*secured, mechanism)
    prefix = f"m{uuid.uuid4().hex[:8]}."
    log = tmp_path / "topics.log"
    code = await _run(
        "topics",
        security
        | {
            "SCHEMA_REGISTRY_URL": stack.registry_url,
            "SPORTSFEED_TOPIC_PREFIX": prefix,
            "SPORTSFEED_PARTITIONS": str(PARTITIONS),
        },
        log,
    )
    assert code == 0, log.read_text()
    admin = AIOKafkaAdminClient(**_endpoints(stack, security).kafka())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
    finally:
        await admin.close()
    assert set(Topics(prefix).all(-1)) <= existing


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"KAFKA_SASL_PASSWORD": "not-the-password"}, "KAFKA_SASL_PASSWORD"),
        ({"KAFKA_SASL_MECHANISM": "PLAIN", "KAFKA_SASL_USERNAME": "nobody"}, "KAFKA_SASL_USERNAME"),
        ({"KAFKA_SSL_CA_FILE": ""}, "KAFKA_SSL_CA_FILE"),
        ({"KAFKA_SECURITY_PROTOCOL": "PLAINTEXT"}, "KAFKA_SECURITY_PROTOCOL"),
    ],
    ids=["wrong-password", "unknown-user", "untrusted-certificate", "plaintext-to-tls"],
)
async def test_a_refused_connection_names_the_settings_to_check(
    stack: Endpoints,
    secured: tuple[int, ServerCertificate],
    change: dict[str, str],
    named: str,
    tmp_path: Path,
) -> None:
    env = _security(*secured, "SCRAM-SHA-512") | change
    env = {name: value for name, value in env.items() if value}
    code = await _run(
        "topics", env | {"SCHEMA_REGISTRY_URL": stack.registry_url}, tmp_path / "topics.log"
    )
    output = (tmp_path / "topics.log").read_text()
    assert code == 1, output
    (message,) = [line for line in output.splitlines() if line.startswith("sportsfeed: ")]
    assert named in message
    assert "Traceback" not in output
    assert PASSWORD not in output
