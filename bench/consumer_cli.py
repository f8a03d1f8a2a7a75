"""The command line of a replay consumer run by `bench.replay` (`bench.plain_loop`,
`bench.quix_app`): both sides of it in one place. Standard library only, since the Quix
Streams app imports it in a virtualenv of its own."""

from __future__ import annotations

import argparse


def consumer_argv(
    python: str,
    module: str,
    bootstrap: str,
    registry: str,
    raw_prefix: str,
    prefix: str,
    frames: int,
) -> list[str]:
    return [
        python,
        "-m",
        module,
        "--bootstrap",
        bootstrap,
        "--registry",
        registry,
        "--raw-prefix",
        raw_prefix,
        "--prefix",
        prefix,
        "--frames",
        str(frames),
    ]


def consumer_arguments(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--registry", required=True)
    parser.add_argument("--raw-prefix", required=True, help="prefix of the raw topics read")
    parser.add_argument("--prefix", required=True, help="prefix of the derived topics written")
    parser.add_argument("--frames", type=int, required=True, help="stop after this many")
    return parser.parse_args()
