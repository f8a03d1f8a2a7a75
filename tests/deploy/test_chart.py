"""The Helm chart: lint, render every ci/ values file and validate it against Kubernetes' schemas;
bad values are refused by values.schema.json; optional parts render only when enabled."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

CHART = Path(__file__).resolve().parents[2] / "helm" / "sportsfeed"
CI_VALUES = sorted((CHART / "ci").glob("*.yaml"))
KUBERNETES = "1.33.0"
PROMETHEUS_OPERATOR_KINDS = {"ServiceMonitor", "PodMonitor", "PrometheusRule"}
REQUIRED = [
    "--set",
    "kafka.bootstrapServers=kafka:9092",
    "--set",
    "schemaRegistry.url=http://r:8081",
    "--set",
    "vendor.existingSecret=vendor",
]


def run(helm: Path, verb: str, *args: str) -> subprocess.CompletedProcess[str]:
    """helm VERB for the Kubernetes version we validate against (a source build says 1.20)."""
    return subprocess.run(
        [str(helm), verb, "--kube-version", KUBERNETES, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def render(helm: Path, *args: str) -> list[dict[str, Any]]:
    done = run(helm, "template", "feed", str(CHART), *args)
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


@pytest.mark.parametrize("values", CI_VALUES, ids=lambda p: p.name)
def test_lint_strict(helm: Path, values: Path) -> None:
    done = run(helm, "lint", "--strict", str(CHART), "-f", str(values))
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("values", CI_VALUES, ids=lambda p: p.name)
def test_rendered_objects_are_valid_kubernetes(helm: Path, values: Path, tmp_path: Path) -> None:
    documents = render(helm, "-f", str(values))
    for n, document in enumerate(documents):
        if document["kind"] in PROMETHEUS_OPERATOR_KINDS:
            continue  # CRDs: not in Kubernetes' own schemas
        path = tmp_path / f"{n}.yaml"
        path.write_text(yaml.safe_dump(document))
        done = subprocess.run(
            [sys.executable, "-m", "kubernetes_validate", "--strict", "-k", KUBERNETES, str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, f"{document['kind']}: {done.stdout}{done.stderr}"


def test_labels_and_image_tag_default(helm: Path) -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    for document in render(helm, *REQUIRED):
        labels = document["metadata"]["labels"]
        assert labels["app.kubernetes.io/name"] == "sportsfeed"
        assert labels["app.kubernetes.io/instance"] == "feed"
        assert "app.kubernetes.io/component" in labels
        for container in _containers(document):
            assert container["image"] == f"sportsfeed:{chart['appVersion']}"
            assert container["securityContext"]["readOnlyRootFilesystem"] is True


def _pod_spec(document: dict[str, Any]) -> dict[str, Any]:
    if document["kind"] == "Pod":
        return dict(document["spec"])
    return dict(document.get("spec", {}).get("template", {}).get("spec", {}))


def _containers(document: dict[str, Any]) -> list[dict[str, Any]]:
    spec = _pod_spec(document)
    return [*spec.get("initContainers", []), *spec.get("containers", [])]


@pytest.mark.parametrize(
    ("bad", "named"),
    [
        (["--set", "processor.replicass=2"], "replicass"),
        (["--set", "producer.shards=three"], "shards"),
        (["--set", "vendor.channel=radio"], "channel"),
        (["--set", "kafka.bootstrapServers=kafka"], "bootstrapServers"),
        (["--set", "kafka.securityProtocol=TLS"], "securityProtocol"),
        (["--set", "kafka.sasl.mechanism=GSSAPI"], "mechanism"),
    ],
)
def test_the_schema_refuses_bad_values(helm: Path, bad: list[str], named: str) -> None:
    done = run(helm, "template", "feed", str(CHART), *REQUIRED, *bad)
    assert done.returncode != 0
    assert named in done.stderr


def test_the_vendor_token_comes_only_from_an_existing_secret_to_the_producers(
    helm: Path,
) -> None:
    done = run(
        helm,
        "template",
        "feed",
        str(CHART),
        "--set",
        "kafka.bootstrapServers=k:9092",
        "--set",
        "schemaRegistry.url=http://r:8081",
    )
    assert done.returncode != 0
    assert "vendor.existingSecret" in done.stderr
    documents = render(helm, *REQUIRED)
    assert not [d for d in documents if d["kind"] == "Secret"]
    holders = []
    for document in documents:
        for container in _containers(document):
            token = [e for e in container.get("env", []) if e["name"] == "SPORTSFEED_VENDOR_TOKEN"]
            if token:
                assert token[0]["valueFrom"]["secretKeyRef"]["name"] == "vendor"
                holders.append(container["name"])
    assert holders == ["producer"]


def test_optional_parts_render_only_when_enabled(helm: Path) -> None:
    kinds = [d["kind"] for d in render(helm, *REQUIRED)]
    assert "ServiceMonitor" not in kinds
    assert "Job" in kinds  # the topics hook is on by default
    switched = [
        "--set",
        "metrics.serviceMonitor.enabled=true",
        "--set",
        "topics.createJob.enabled=false",
    ]
    kinds = [d["kind"] for d in render(helm, *REQUIRED, *switched)]
    assert "ServiceMonitor" in kinds
    assert "Job" not in kinds
    claims = render(helm, *REQUIRED, "--set", "processor.persistence.enabled=false")
    workers = next(d for d in claims if d["kind"] == "StatefulSet")
    assert "volumeClaimTemplates" not in workers["spec"]


SASL = {
    "kafka.securityProtocol": "SASL_SSL",
    "kafka.sasl.username": "app",
    "kafka.sasl.existingSecret": "kafka-user",
    "kafka.tls.caSecret": "kafka-ca",
}


def _set(values: dict[str, str]) -> list[str]:
    return [arg for name, value in values.items() for arg in ("--set", f"{name}={value}")]


def test_kafka_sasl_and_tls_render_only_when_enabled(helm: Path) -> None:
    for document in render(helm, *REQUIRED):
        for container in _containers(document):
            names = {e["name"] for e in container.get("env", [])}
            assert not names & {"KAFKA_SASL_PASSWORD", "KAFKA_SSL_CA_FILE"}
            assert "volumeMounts" not in container or all(
                m["name"] != "kafka-ca" for m in container["volumeMounts"]
            )
    workloads = [d for d in render(helm, *REQUIRED, *_set(SASL)) if _containers(d)]
    assert {d["kind"] for d in workloads} == {"StatefulSet", "Job", "Pod"}
    for document in workloads:
        for container in _containers(document):
            _assert_kafka_security(document, container)


def _assert_kafka_security(document: dict[str, Any], container: dict[str, Any]) -> None:
    env = {e["name"]: e for e in container["env"]}
    assert env["KAFKA_SECURITY_PROTOCOL"]["value"] == "SASL_SSL"
    assert env["KAFKA_SASL_MECHANISM"]["value"] == "SCRAM-SHA-512"
    assert env["KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "kafka-user",
        "key": "password",
    }
    mount = next(m for m in container["volumeMounts"] if m["name"] == "kafka-ca")
    assert env["KAFKA_SSL_CA_FILE"]["value"] == f"{mount['mountPath']}/ca.crt"
    volumes = _pod_spec(document)["volumes"]
    assert {"name": "kafka-ca", "secret": {"secretName": "kafka-ca"}} in volumes


def test_sasl_credentials_come_only_from_an_existing_secret(helm: Path) -> None:
    without = {name: value for name, value in SASL.items() if name != "kafka.sasl.existingSecret"}
    done = run(helm, "template", "feed", str(CHART), *REQUIRED, *_set(without))
    assert done.returncode != 0
    assert "kafka.sasl.existingSecret" in done.stderr
    assert not [d for d in render(helm, *REQUIRED, *_set(SASL)) if d["kind"] == "Secret"]


def test_every_value_is_documented() -> None:
    text = (CHART / "values.yaml").read_text()
    documented = {line.split()[2] for line in text.splitlines() if line.startswith("## @param")}

    def leaves(values: dict[str, Any], prefix: str = "") -> Iterator[str]:
        for key, value in values.items():
            path = prefix + key
            if isinstance(value, dict) and path not in documented:
                yield from leaves(value, path + ".")
            else:
                yield path

    undocumented = [path for path in leaves(yaml.safe_load(text)) if path not in documented]
    assert undocumented == []
    schema = (CHART / "values.schema.json").read_text()
    assert all(path.split(".")[-1] in schema for path in documented)
