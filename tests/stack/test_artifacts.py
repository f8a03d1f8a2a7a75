"""Pinned downloads: what does not match the lock file's checksum is refused."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from sportsfeed.core.errors import InfrastructureError
from sportsfeed.stack import artifacts
from sportsfeed.stack.artifacts import Artifact, fetch, read_lock


def test_lock_pins_kafka_4_1_and_apicurio_3() -> None:
    kafka = {a.name: a for a in read_lock("kafka")}
    assert kafka["kafka_2.13"].version.startswith("4.1.")
    assert kafka["kafka-clients"].version == kafka["kafka_2.13"].version
    (registry,) = read_lock("registry")
    assert (registry.name, registry.kind, registry.classifier) == (
        "apicurio-registry-app",
        "tar.gz",
        "all",
    )
    assert registry.version.startswith("3.")
    assert all(len(a.sha256) == 64 for a in [*kafka.values(), registry])


def _repository_with(tmp_path: Path, artifact: Artifact, content: bytes) -> str:
    path = Path(artifact.url(str(tmp_path / "repo")))
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    return (tmp_path / "repo").as_uri()


def _lock(tmp_path: Path, artifact: Artifact, monkeypatch: pytest.MonkeyPatch) -> None:
    lock = tmp_path / "artifacts.lock"
    lock.write_text(
        f"[demo]\n{artifact.group}:{artifact.name}:{artifact.version} {artifact.sha256}\n"
    )
    monkeypatch.setattr(artifacts, "LOCK_FILE", lock)
    monkeypatch.setattr(artifacts.read_lock, "__defaults__", (lock,))


def test_download_is_verified_and_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    content = b"a jar"
    artifact = Artifact("org.example", "demo", "1.0", hashlib.sha256(content).hexdigest())
    _lock(tmp_path, artifact, monkeypatch)
    repository = _repository_with(tmp_path, artifact, content)

    directory = fetch("demo", tmp_path / "cache", "demo", repository)
    assert (directory / "demo-1.0.jar").read_bytes() == content

    Path(artifact.url(str(tmp_path / "repo"))).unlink()  # cached: no second download
    assert fetch("demo", tmp_path / "cache", "demo", repository) == directory


def test_checksum_mismatch_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    artifact = Artifact("org.example", "demo", "1.0", hashlib.sha256(b"a jar").hexdigest())
    _lock(tmp_path, artifact, monkeypatch)
    repository = _repository_with(tmp_path, artifact, b"a tampered jar")

    with pytest.raises(InfrastructureError, match=r"demo-1\.0\.jar has SHA-256 .* pins"):
        fetch("demo", tmp_path / "cache", "demo", repository)
    assert not (tmp_path / "cache" / "demo").exists()


def test_unreachable_repository_names_the_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    artifact = Artifact("org.example", "demo", "1.0", "0" * 64)
    _lock(tmp_path, artifact, monkeypatch)
    missing = (tmp_path / "nowhere").as_uri()
    with pytest.raises(InfrastructureError, match=r"could not download .*nowhere.*demo-1\.0\.jar"):
        fetch("demo", tmp_path / "cache", "demo", missing)
