"""Local stack, step 1: fetch the pinned Kafka and registry files once, verify them, cache them.

`artifacts.lock` pins every file by Maven coordinates and SHA-256. Files come from the Maven
repository in SPORTSFEED_MAVEN_REPOSITORY or, if unset, the one the local Maven uses (asked once).
Each file is checked against its checksum and kept in the cache directory, outside the checkout,
so later runs start without touching the network.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from sportsfeed.core.errors import InfrastructureError
from sportsfeed.stack.processes import run

LOCK_FILE: Final = Path(__file__).with_name("artifacts.lock")
_COMPLETE_MARKER: Final = ".complete"
_HELP_PLUGIN: Final = "org.apache.maven.plugins:maven-help-plugin:3.5.1:evaluate"


@dataclass(frozen=True)
class Artifact:
    """One pinned file: Maven coordinates and the SHA-256 of its bytes."""

    group: str
    name: str
    version: str
    sha256: str
    kind: str = "jar"
    classifier: str = ""

    @property
    def file_name(self) -> str:
        suffix = f"-{self.classifier}" if self.classifier else ""
        return f"{self.name}-{self.version}{suffix}.{self.kind}"

    def url(self, repository: str) -> str:
        group_path = self.group.replace(".", "/")
        return f"{repository.rstrip('/')}/{group_path}/{self.name}/{self.version}/{self.file_name}"


def read_lock(section: str, lock_file: Path = LOCK_FILE) -> list[Artifact]:
    """The artifacts pinned under `[section]` of the lock file."""
    artifacts: list[Artifact] = []
    current = ""
    for raw in lock_file.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            current = line.strip("[]")
            continue
        if current != section:
            continue
        coordinates, sha256 = line.split()
        group, name, version, *rest = coordinates.split(":")
        kind = rest[0] if rest else "jar"
        classifier = rest[1] if len(rest) > 1 else ""
        artifacts.append(Artifact(group, name, version, sha256, kind, classifier))
    if not artifacts:
        raise InfrastructureError(f"{lock_file} pins nothing under [{section}]")
    return artifacts


def fetch(section: str, cache_dir: Path, label: str, repository: str | None) -> Path:
    """A directory holding every artifact of `section`, verified; downloaded if not cached."""
    target = cache_dir / section
    if (target / _COMPLETE_MARKER).exists():
        return target
    artifacts = read_lock(section)
    cache_dir.mkdir(parents=True, exist_ok=True)
    repository = repository or maven_repository()
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=f".{section}-") as work:
        staging = Path(work) / "files"
        staging.mkdir()
        _download_all(artifacts, repository, staging, label)
        (staging / _COMPLETE_MARKER).touch()
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    return target


def unpack(archive: Path, into: Path) -> Path:
    """Unpack a tar.gz once; later calls return the unpacked directory at once."""
    if (into / _COMPLETE_MARKER).exists():
        return into
    shutil.rmtree(into, ignore_errors=True)
    into.mkdir(parents=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    (into / _COMPLETE_MARKER).touch()
    return into


def maven_repository() -> str:
    """The remote repository URL the local Maven resolves from (mirrors applied)."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise InfrastructureError(
            "the local Kafka broker and registry are downloaded once from a Maven repository: "
            "set SPORTSFEED_MAVEN_REPOSITORY to its URL or install Maven (apt-get install "
            "maven), or set KAFKA_BOOTSTRAP_SERVERS and SCHEMA_REGISTRY_URL to use your own"
        )
    with tempfile.TemporaryDirectory() as empty:
        expression = "-Dexpression=project.remoteArtifactRepositories[0].url"
        argv = [mvn, "-q", "-B", _HELP_PLUGIN, "-DforceStdout", expression]
        done = run(argv, timeout_s=300, cwd=Path(empty))
    url = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout).strip()
    if done.returncode != 0 or not url.startswith(("http://", "https://")):
        raise InfrastructureError(
            "could not ask Maven for its repository; set SPORTSFEED_MAVEN_REPOSITORY. Maven said:"
            f"\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        )
    return url


def _download_all(artifacts: list[Artifact], repository: str, into: Path, label: str) -> None:
    total = len(artifacts)
    print(f"downloading {label} ({total} files), once", flush=True)  # noqa: T201
    with Progress(
        TextColumn("  {task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
    ) as progress:
        task = progress.add_task(label, total=None)
        for index, artifact in enumerate(artifacts, 1):
            progress.update(task, description=f"[{index}/{total}] {artifact.file_name}")
            _download(artifact, repository, into, lambda n: progress.advance(task, n))


def _download(
    artifact: Artifact, repository: str, into: Path, advance: Callable[[int], None]
) -> None:
    url = artifact.url(repository)
    digest = hashlib.sha256()
    path = into / artifact.file_name
    try:
        with urllib.request.urlopen(url, timeout=60) as response, path.open("wb") as out:  # noqa: S310
            for block in iter(lambda: response.read(1 << 20), b""):
                digest.update(block)
                out.write(block)
                advance(len(block))
    except (urllib.error.URLError, OSError) as exc:
        raise InfrastructureError(f"could not download {url}: {exc}") from exc
    if digest.hexdigest() != artifact.sha256:
        raise InfrastructureError(
            f"{artifact.file_name} has SHA-256 {digest.hexdigest()}, but "
            f"sportsfeed/stack/artifacts.lock pins {artifact.sha256}: refusing to run a file that "
            "is not the pinned one"
        )
