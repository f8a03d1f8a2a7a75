"""The `sportsfeed` command: a thin dispatcher from verbs to the packages that implement them."""

from __future__ import annotations

import argparse
import inspect
import logging
import sys
import typing
from collections.abc import Callable, Sequence
from typing import Any

from sportsfeed import __version__
from sportsfeed.core.errors import SportsfeedError
from sportsfeed.core.outage_log import quiet_kafka_client_errors
from sportsfeed.core.settings import ProcessSettings, describe_settings, load_settings
from sportsfeed.failures import describe_failure
from sportsfeed.verbs import archive as archive_command
from sportsfeed.verbs import demo as demo_command
from sportsfeed.verbs import process as process_command
from sportsfeed.verbs import produce as produce_command
from sportsfeed.verbs import replay as replay_command
from sportsfeed.verbs import schemas as schemas_command
from sportsfeed.verbs import scoreboard as scoreboard_command
from sportsfeed.verbs import simulate as simulate_command
from sportsfeed.verbs import stack as stack_command
from sportsfeed.verbs import tail as tail_command
from sportsfeed.verbs import topics as topics_command
from sportsfeed.verbs.arguments import use_help_formatter

# A verb's second parameter's type is the settings it reads (ProducerSettings, ...): main loads
# those alone, so a setting the verb does not use cannot stop it.
Verb = Callable[[argparse.Namespace, Any], int]

# Each verb module offers `register(subparsers) -> None`, setting `verb` on its parser.
VERB_MODULES = (
    demo_command,
    stack_command,
    simulate_command,
    produce_command,
    topics_command,
    process_command,
    replay_command,
    schemas_command,
    tail_command,
    scoreboard_command,
    archive_command,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sportsfeed",
        description="Live sports data from vendor websockets to Kafka, derived into Avro facts.",
        epilog=describe_settings(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"sportsfeed {__version__}")
    verbs = parser.add_subparsers(title="verbs", metavar="VERB", required=True)
    for module in VERB_MODULES:
        module.register(verbs)
    use_help_formatter(parser)
    return parser


def settings_read_by(verb: Verb) -> type[ProcessSettings]:
    """The settings `verb` reads: the type of its second parameter."""
    second = list(inspect.signature(verb).parameters)[1]
    kind = typing.get_type_hints(verb)[second]
    if not (isinstance(kind, type) and issubclass(kind, ProcessSettings)):
        raise TypeError(f"{verb.__qualname__} takes {kind}, not a process's settings")
    return kind


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    verb: Verb = args.verb
    try:
        settings = load_settings(settings_read_by(verb))
    except SportsfeedError as exc:
        print(f"sportsfeed: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    quiet_kafka_client_errors()
    try:
        return verb(args, settings)
    except SportsfeedError as exc:
        print(f"sportsfeed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a traceback is no message: put it in one line (failures.py)
        logging.getLogger(__name__).debug("traceback", exc_info=True)
        print(f"sportsfeed: {describe_failure(exc, settings)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
