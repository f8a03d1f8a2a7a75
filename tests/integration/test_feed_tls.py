"""wss:// to the vendor: the certificate is always verified; a private CA only when configured."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from pathlib import Path

import pytest

from producers.app import Producer
from producers.metrics import Metrics
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.simulator.catalogue import generate_catalogue
from tests.certificates import ServerCertificate, issue
from tests.integration.pipeline import (
    assert_raw_is_exactly_the_streams,
    environment,
    fresh_topics,
    read_published,
    running_simulator,
    settings_from,
)


@pytest.fixture
def certificate(tmp_path: Path) -> ServerCertificate:
    return issue(tmp_path / "tls", name="vendor-test")


def _serving(certificate: ServerCertificate) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate.certificate, certificate.key)
    return context


async def test_an_untrusted_vendor_certificate_lets_nothing_through(
    stack: Endpoints, certificate: ServerCertificate, caplog: pytest.LogCaptureFixture
) -> None:
    prefix, topics = await fresh_topics(stack)
    fixtures = generate_catalogue(2, seed=81)
    async with running_simulator(fixtures, tls=_serving(certificate)) as simulator:
        env = environment(stack, prefix, simulator, SPORTSFEED_SPEED="fast")
        env["SPORTSFEED_FEED_URL"] = f"wss://127.0.0.1:{simulator.port}"  # no CA file
        producer = asyncio.create_task(Producer(settings_from(env), stack, Metrics()).run())
        await asyncio.sleep(4)  # several attempts per stream, with backoff
        producer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await producer
        assert sum(simulator.connections.values()) == 0  # no request got past TLS
    assert await read_published(stack, topics) == {}
    refusals = [r.getMessage() for r in caplog.records if r.getMessage().startswith("down ")]
    assert refusals
    assert all("CERTIFICATE_VERIFY_FAILED" in message for message in refusals)


async def test_a_configured_private_ca_streams_everything(
    stack: Endpoints, certificate: ServerCertificate
) -> None:
    prefix, topics = await fresh_topics(stack)
    fixtures = generate_catalogue(3, seed=82)
    async with running_simulator(fixtures, tls=_serving(certificate)) as simulator:
        env = environment(stack, prefix, simulator, SPORTSFEED_SPEED="fast")
        env["SPORTSFEED_FEED_URL"] = f"wss://127.0.0.1:{simulator.port}"
        env["SPORTSFEED_FEED_CA_FILE"] = str(certificate.ca)
        await asyncio.wait_for(Producer(settings_from(env), stack, Metrics()).run(), 120)
    assert_raw_is_exactly_the_streams(await read_published(stack, topics), fixtures)
