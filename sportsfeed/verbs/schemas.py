"""`sportsfeed schemas check`: the working tree's schemas against their released versions."""

from __future__ import annotations

import argparse
from typing import Any

from schemas.compat import check
from sportsfeed.core.settings import ClusterSettings
from sportsfeed.stack.local import stack_endpoints


def register(verbs: Any) -> None:
    parser = verbs.add_parser(
        "schemas",
        help="check that every schema is BACKWARD compatible with its released version",
        description=(
            "Ask the Schema Registry (SCHEMA_REGISTRY_URL, or a temporary local one) whether "
            "each schema in schemas/ is BACKWARD compatible with schemas/released/."
        ),
    )
    parser.add_argument("action", choices=["check"], help="what to do")
    parser.set_defaults(verb=run)


def run(_args: argparse.Namespace, settings: ClusterSettings) -> int:
    with stack_endpoints(settings, temporary=True) as endpoints:
        verdicts = check(endpoints.registry_url)
    for verdict in verdicts:
        state = "compatible" if verdict.compatible else "INCOMPATIBLE"
        print(f"{verdict.name}: {state}")  # noqa: T201
        for message in verdict.messages:
            print(f"  {message}")  # noqa: T201
    return 0 if all(v.compatible for v in verdicts) else 1
