"""Evolution safety: every schema in the tree must be BACKWARD compatible with its release.

`schemas/released/` keeps the last released version of each `.avsc`. The check asks a real
Confluent-compatible registry (the rules are the registry's, not ours): the released version is
registered under a scratch subject with BACKWARD compatibility, and the working-tree version is
tested against it, as a deploy would be. The working-tree version is the one registered, shared
types inlined, so an edit to a shared type is checked in every topic schema that uses it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from importlib import resources

import httpx

from schemas.contract import contract_text
from schemas.outputs import SCHEMA_NAMES

_JSON = {"Content-Type": "application/vnd.schemaregistry.v1+json"}


@dataclass(frozen=True)
class Verdict:
    name: str
    compatible: bool
    messages: tuple[str, ...] = ()


def released_text(name: str) -> str:
    folder = resources.files("schemas").joinpath("released")
    return folder.joinpath(f"{name}.avsc").read_text(encoding="utf-8")


def check(registry_url: str, pairs: dict[str, tuple[str, str]] | None = None) -> list[Verdict]:
    """For each schema name: is `current` BACKWARD compatible with `released`?"""
    pairs = pairs or {n: (released_text(n), contract_text(n)) for n in SCHEMA_NAMES}
    verdicts = []
    with httpx.Client(base_url=registry_url, headers=_JSON, timeout=10) as registry:
        for name, (released, current) in pairs.items():
            subject = f"sportsfeed-compat-check-{uuid.uuid4().hex[:12]}.{name}-value"
            registry.put(
                f"/config/{subject}", json={"compatibility": "BACKWARD"}
            ).raise_for_status()
            registry.post(
                f"/subjects/{subject}/versions", json={"schema": released}
            ).raise_for_status()
            answer = registry.post(
                f"/compatibility/subjects/{subject}/versions/latest",
                params={"verbose": "true"},
                json={"schema": current},
            )
            answer.raise_for_status()
            body = answer.json()
            messages = tuple(str(m) for m in body.get("messages", []))
            verdicts.append(Verdict(name, bool(body["is_compatible"]), messages))
            registry.delete(f"/subjects/{subject}")
    return verdicts
