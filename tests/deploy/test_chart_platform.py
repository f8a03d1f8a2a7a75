"""The chart as a platform team runs it: rolling producers one shard per pod, probes on real
pages, every component scraped, memory sized from the partitions a worker holds, the hook Job
and test pod placed like the pods, disruption and placement, exposure, escape hatches."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.test_chart import CHART, REQUIRED, _containers, _pod_spec, render, run


def _kind(documents: list[dict[str, Any]], kind: str, component: str) -> dict[str, Any]:
    (found,) = [
        d
        for d in documents
        if d["kind"] == kind and d["metadata"]["labels"]["app.kubernetes.io/component"] == component
    ]
    return found


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def test_producers_roll_one_shard_at_a_time_each_pod_its_ordinal(helm: Path) -> None:
    documents = render(helm, *REQUIRED, "--set", "producer.shards=3")
    assert not [d for d in documents if d["kind"] == "Deployment"]
    producers = _kind(documents, "StatefulSet", "producer")
    assert producers["spec"]["replicas"] == 3
    assert producers["spec"]["updateStrategy"] == {"type": "RollingUpdate"}
    (container,) = _containers(producers)
    env = _env(container)
    # Kubernetes expands $(SHARD_INDEX) from the pod's ordinal label: pod i streams i/3
    assert env["SHARD_INDEX"] == {
        "fieldRef": {"fieldPath": "metadata.labels['apps.kubernetes.io/pod-index']"}
    }
    assert env["SPORTSFEED_SHARD"] == "$(SHARD_INDEX)/3"
    names = [e["name"] for e in container["env"]]
    assert names.index("SHARD_INDEX") < names.index("SPORTSFEED_SHARD")  # defined before use
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["startupProbe"]["httpGet"]["path"] == "/health"


def test_every_component_is_scraped_with_configurable_labels(helm: Path) -> None:
    labels = "metrics.serviceMonitor.labels.release=kube-prometheus-stack"
    documents = render(
        helm, *REQUIRED, "--set", "metrics.serviceMonitor.enabled=true", "--set", labels
    )
    (monitor,) = [d for d in documents if d["kind"] == "ServiceMonitor"]
    (pods,) = [d for d in documents if d["kind"] == "PodMonitor"]
    for scraper in (monitor, pods):
        assert scraper["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    service = _kind(documents, "Service", "processor")
    selected = monitor["spec"]["selector"]["matchLabels"]
    assert selected.items() <= service["metadata"]["labels"].items()
    assert [p["name"] for p in service["spec"]["ports"]] == ["metrics"]
    for scraper, component in ((service, "processor"), (pods, "producer")):
        template = _kind(documents, "StatefulSet", component)["spec"]["template"]
        selector = scraper["spec"]["selector"]
        selector = selector.get("matchLabels", selector)
        assert selector.items() <= template["metadata"]["labels"].items(), component
        (container,) = _containers(_kind(documents, "StatefulSet", component))
        assert [p["name"] for p in container["ports"]] == ["metrics"]
    assert pods["spec"]["podMetricsEndpoints"][0]["port"] == "metrics"


def _processor(helm: Path, *values: str) -> tuple[dict[str, Any], dict[str, str]]:
    documents = render(helm, *REQUIRED, *values)
    config = next(d for d in documents if d["kind"] == "ConfigMap")["data"]
    return _kind(documents, "StatefulSet", "processor"), config


@pytest.mark.parametrize(
    ("partitions", "replicas", "rocksdb_mb", "memory"),
    [
        (32, 2, 32, "1280Mi"),  # 16 active + 16 standby partitions x 32 MB + 256 MB
        (12, 1, 32, "640Mi"),  # one worker: no standby copies
        (12, 5, 32, "448Mi"),  # ceil(12 / 5) = 3 active, 3 standby
        (12, 2, 8, "352Mi"),  # a smaller RocksDB bound: 12 x 8 + 256
    ],
)
def test_worker_memory_follows_partitions_standbys_and_the_rocksdb_bound(
    helm: Path, partitions: int, replicas: int, rocksdb_mb: int, memory: str
) -> None:
    workers, config = _processor(
        helm,
        "--set",
        f"topics.partitions={partitions}",
        "--set",
        f"processor.replicas={replicas}",
        "--set",
        f"processor.rocksdbMemoryMb={rocksdb_mb}",
    )
    (container,) = _containers(workers)
    assert container["resources"]["limits"]["memory"] == memory
    assert container["resources"]["requests"]["memory"] == memory
    assert container["resources"]["requests"]["cpu"] == "500m"  # the rest of the values kept
    assert config["SPORTSFEED_ROCKSDB_MEMORY_MB"] == str(rocksdb_mb)


def test_an_explicit_memory_limit_wins_and_grace_follows_the_shutdown_setting(
    helm: Path,
) -> None:
    workers, config = _processor(
        helm,
        "--set",
        "processor.resources.limits.memory=3Gi",
        "--set",
        "processor.shutdownGraceSeconds=50",
    )
    (container,) = _containers(workers)
    assert container["resources"]["limits"]["memory"] == "3Gi"
    assert container["resources"]["requests"]["memory"] == "3Gi"
    assert config["SPORTSFEED_SHUTDOWN_GRACE_S"] == "50"
    assert _pod_spec(workers)["terminationGracePeriodSeconds"] == 65


SCHEDULING = [
    "--set",
    "imagePullSecrets[0]=regcred",
    "--set",
    "topics.createJob.nodeSelector.pool=system",
    "--set",
    "topics.createJob.tolerations[0].key=dedicated",
    "--set",
    "topics.createJob.tolerations[0].operator=Exists",
    "--set",
    "extraEnv[0].name=HTTPS_PROXY",
    "--set",
    "extraEnv[0].value=http://p:3128",
]


def test_the_hook_job_and_the_test_pod_get_pull_secrets_scheduling_and_env(helm: Path) -> None:
    documents = render(helm, *REQUIRED, *SCHEDULING)
    for document in (_kind(documents, "Job", "topics"), _kind(documents, "Pod", "test")):
        spec = _pod_spec(document)
        assert spec["imagePullSecrets"] == [{"name": "regcred"}]
        assert spec["nodeSelector"] == {"pool": "system"}
        assert spec["tolerations"] == [{"key": "dedicated", "operator": "Exists"}]
        for container in _containers(document):
            env = _env(container)
            assert env["HTTPS_PROXY"] == "http://p:3128"
            assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
            assert env["SCHEMA_REGISTRY_URL"] == "http://r:8081"


def test_helm_test_checks_kafka_and_the_registry(helm: Path) -> None:
    test = _kind(render(helm, *REQUIRED), "Pod", "test")
    assert test["metadata"]["annotations"]["helm.sh/hook"] == "test"
    assert [c["args"] for c in _containers(test)] == [["topics", "--check"], ["schemas", "check"]]


def test_disruption_and_placement(helm: Path) -> None:
    documents = render(
        helm,
        *REQUIRED,
        "--set",
        "processor.replicas=1",
        "--set",
        "processor.affinity.nodeAffinity.requiredDuringScheduling"
        "IgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key=ssd",
        "--set",
        "processor.affinity.nodeAffinity.requiredDuringScheduling"
        "IgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0]"
        ".operator=Exists",
    )
    for component in ("producer", "processor"):
        budget = _kind(documents, "PodDisruptionBudget", component)
        assert budget["spec"] == {"maxUnavailable": 1, "selector": budget["spec"]["selector"]}
        assert budget["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"] == component
        spec = _pod_spec(_kind(documents, "StatefulSet", component))
        (spread,) = spec["topologySpreadConstraints"]
        assert spread["topologyKey"] == "kubernetes.io/hostname"
        assert spread["labelSelector"]["matchLabels"]["app.kubernetes.io/component"] == component
    workers = _pod_spec(_kind(documents, "StatefulSet", "processor"))
    assert "nodeAffinity" in workers["affinity"]


def test_exposure_service_account_and_network_policy(helm: Path) -> None:
    documents = render(helm, *REQUIRED)
    assert not [d for d in documents if d["kind"] == "NetworkPolicy"]
    (account,) = [d for d in documents if d["kind"] == "ServiceAccount"]
    assert account["automountServiceAccountToken"] is False
    for document in documents:
        if _containers(document):
            assert _pod_spec(document)["automountServiceAccountToken"] is False
    monitoring = "networkPolicy.metricsFrom[0].namespaceSelector.matchLabels.name=monitoring"
    peers = ["--set", "networkPolicy.enabled=true", "--set", monitoring]
    (policy,) = [d for d in render(helm, *REQUIRED, *peers) if d["kind"] == "NetworkPolicy"]
    (ingress,) = policy["spec"]["ingress"]
    assert ingress["ports"] == [{"port": "metrics", "protocol": "TCP"}]
    assert ingress["from"] == [{"namespaceSelector": {"matchLabels": {"name": "monitoring"}}}]


def test_escape_hatches(helm: Path) -> None:
    digest = "sha256:" + "ab" * 32
    documents = render(
        helm,
        *REQUIRED,
        "--set",
        f"image.digest={digest}",
        "--set",
        "podAnnotations.team=trading",
        "--set",
        "fullnameOverride=feeds",
        "--set",
        "serviceAccount.create=false",
        "--set",
        "serviceAccount.name=ops",
        "--set",
        "extraVolumes[0].name=certs",
        "--set",
        "extraVolumes[0].secret.secretName=proxy-ca",
        "--set",
        "extraVolumeMounts[0].name=certs",
        "--set",
        "extraVolumeMounts[0].mountPath=/etc/proxy",
    )
    assert not [d for d in documents if d["kind"] == "ServiceAccount"]
    for document in documents:
        assert document["metadata"]["name"].startswith("feeds")
        if not _containers(document):
            continue
        spec = _pod_spec(document)
        assert {"name": "certs", "secret": {"secretName": "proxy-ca"}} in spec["volumes"]
        for container in _containers(document):
            assert container["image"] == f"sportsfeed@{digest}"
            assert {"name": "certs", "mountPath": "/etc/proxy"} in container["volumeMounts"]
        if document["kind"] == "StatefulSet":
            assert spec["serviceAccountName"] == "ops"
            assert document["spec"]["template"]["metadata"]["annotations"]["team"] == "trading"


def test_names_fit_kubernetes_limits_for_a_long_release_name(helm: Path) -> None:
    release = "a-release-name-of-thirty-nine-character"
    assert len(release) == 39
    done = run(helm, "template", release, str(CHART), *REQUIRED)
    assert done.returncode == 0, done.stderr
    for document in (d for d in yaml.safe_load_all(done.stdout) if d):
        name = document["metadata"]["name"]
        assert len(name) <= 63, name
        if document["kind"] == "StatefulSet":
            # pods are <name>-<ordinal> with a controller-revision-hash label <name>-<10 chars>
            assert len(name) <= 52, name


@pytest.mark.parametrize(
    ("bad", "named"),
    [
        (["--set", "processor.resources.limits.memory=banana"], "memory"),
        (["--set", "producer.resources.requests.cpu=fast"], "cpu"),
        (["--set", "image.digest=latest"], "digest"),
        (["--set", "processor.persistence.size=lots"], "size"),
        (["--set", "processor.topologySpread.whenUnsatisfiable=Never"], "whenUnsatisfiable"),
        (["--set", "processor.replicas=13", "--set", "topics.partitions=12"], "processor.replicas"),
    ],
)
def test_bad_quantities_and_more_workers_than_partitions_are_refused(
    helm: Path, bad: list[str], named: str
) -> None:
    done = run(helm, "template", "feed", str(CHART), *REQUIRED, *bad)
    assert done.returncode != 0
    assert named in done.stderr
