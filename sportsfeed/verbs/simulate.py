"""`sportsfeed simulate`: serve simulated (or recorded) fixtures over the vendor's protocol."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import os
import signal
import socket
import ssl
import sys
from pathlib import Path
from typing import Any

import orjson

from sportsfeed.core.errors import SettingsError
from sportsfeed.core.settings import SimulatorSettings
from sportsfeed.core.vendor import Sport, sport_by_name
from sportsfeed.simulator.catalogue import (
    SimFixture,
    generate_catalogue,
    load_recorded,
    write_recorded,
)
from sportsfeed.simulator.faults import FaultPlan
from sportsfeed.simulator.server import FeedSimulator, ServerOptions
from sportsfeed.verbs.arguments import (
    existing_dir,
    non_negative_float,
    positive_float,
    positive_int,
    share,
)


def register(verbs: Any) -> None:
    parser: argparse.ArgumentParser = verbs.add_parser(
        "simulate",
        help="serve simulated matches over the vendor's websocket protocol",
        description=(
            "A local stand-in for the vendor's live feed: websocket streams (actions and "
            "statistics, betting and media paths) and REST fixture discovery for generated "
            "matches of five sports, or recorded ones. Clients authenticate with "
            "SPORTSFEED_VENDOR_TOKEN."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8765, help="port (0: any free port)")
    parser.add_argument(
        "--fixtures", type=positive_int, default=12, help="generated fixtures to serve"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated matches")
    parser.add_argument(
        "--sports", default=",".join(s.slug for s in Sport), help="comma-separated sports"
    )
    parser.add_argument(
        "--multiplier",
        type=positive_float,
        default=1.0,
        help="speed=normal runs this many times faster",
    )
    parser.add_argument(
        "--heartbeat", type=positive_float, default=10.0, help="heartbeat period, s"
    )
    parser.add_argument(
        "--kickoff-spacing", type=non_negative_float, default=0.0, help="seconds between kick-offs"
    )
    parser.add_argument(
        "--tls-cert", type=Path, help="serve wss://: PEM certificate chain (with --tls-key)"
    )
    parser.add_argument("--tls-key", type=Path, help="PEM private key of --tls-cert")
    parser.add_argument(
        "--recorded", type=existing_dir, help="also serve recorded fixtures from DIR"
    )
    parser.add_argument("--truth", type=Path, help="write every fixture's ground truth (JSON)")
    parser.add_argument("--record", type=Path, help="write generated fixtures to DIR and exit")
    parser.add_argument(
        "--warm", action="store_true", help="render every stream before serving (benchmarks)"
    )
    faults = parser.add_argument_group("faults (for every generated fixture)")
    faults.add_argument("--duplicates", type=share, default=0.0, help="share of repeated frames")
    faults.add_argument("--malformed", type=share, default=0.0, help="share of malformed frames")
    faults.add_argument("--drop-rate", type=share, default=0.0, help="chance of a drop per frame")
    faults.add_argument(
        "--drop-after", type=positive_int, help="drop each connection after N frames"
    )
    faults.add_argument("--silence-after", type=positive_int, help="go silent after N frames")
    faults.add_argument("--refuse-first", type=int, default=0, help="refuse N connections first")
    faults.add_argument("--faulty-connections", type=int, help="faults hit only the first N")
    parser.set_defaults(verb=run)


def build_fixtures(args: argparse.Namespace) -> dict[str, SimFixture]:
    sports = [_sport(name) for name in args.sports.split(",") if name]
    fixtures = generate_catalogue(args.fixtures, args.seed, sports, args.kickoff_spacing)
    plan = FaultPlan(
        duplicate_rate=args.duplicates,
        malformed_rate=args.malformed,
        drop_rate=args.drop_rate,
        drop_after=args.drop_after,
        silence_after=args.silence_after,
        refuse_first=args.refuse_first,
        faulty_connections=args.faulty_connections,
    )
    for fixture in fixtures.values():
        fixture.set_faults(plan)
    if args.recorded is not None:
        fixtures.update(load_recorded(args.recorded))
    return fixtures


def _sport(name: str) -> Sport:
    sport = sport_by_name(name)
    if sport is not None:
        return sport
    raise SettingsError(
        f"--sports: unknown sport {name!r}; choose from soccer, basketball, "
        "volleyball, snooker, tabletennis"
    )


def run(args: argparse.Namespace, settings: SimulatorSettings) -> int:
    fixtures = build_fixtures(args)
    if args.truth is not None:
        truth = [fixture.truth() for fixture in fixtures.values()]
        args.truth.write_bytes(orjson.dumps(truth, option=orjson.OPT_INDENT_2))
    if args.warm:
        for fixture in fixtures.values():
            fixture.truth()  # renders every stream
    if args.record is not None:
        for fixture in fixtures.values():
            print(write_recorded(fixture, args.record))  # noqa: T201
        return 0
    options = ServerOptions(
        tokens=frozenset({settings.vendor_token.get_secret_value()}),
        heartbeat_s=args.heartbeat,
        multiplier=args.multiplier,
    )
    asyncio.run(_serve(FeedSimulator(fixtures, options), args.host, args.port, _tls(args)))
    return 0


def _tls(args: argparse.Namespace) -> ssl.SSLContext | None:
    if args.tls_cert is None and args.tls_key is None:
        return None
    if args.tls_cert is None or args.tls_key is None:
        raise SystemExit("--tls-cert and --tls-key go together: give both to serve wss://")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.tls_cert, args.tls_key)
    return context


async def _serve(
    simulator: FeedSimulator, host: str, port: int, tls: ssl.SSLContext | None
) -> None:
    try:
        await simulator.start(host, port, tls)
    except OSError as exc:  # asyncio words it "error while attempting to bind on ..."
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        if isinstance(exc, socket.gaierror):  # a name that does not resolve
            reason = exc.strerror or reason
        if exc.errno == errno.EADDRNOTAVAIL or isinstance(exc, socket.gaierror):
            raise SettingsError(
                f"--host {host}: not an address of this machine ({reason}); give "
                "one it has, e.g. --host 127.0.0.1"
            ) from None
        raise SettingsError(
            f"--port {port}: {host}:{port} cannot be bound ({reason}); another "
            "process (a simulator already running?) holds it: give another --port, or "
            "--port 0 for any free port (--host must be an address of this machine)"
        ) from None
    scheme = "wss" if tls is not None else "ws"
    print(  # noqa: T201
        f"simulating {len(simulator.fixtures)} fixtures on {scheme}://{host}:{simulator.port}",
        flush=True,
    )
    for fixture in simulator.fixtures.values():
        print(f"  {fixture.sport.value:<15} {fixture.fixture_id}  {fixture.name}")  # noqa: T201
    sys.stdout.flush()  # the listing is what a user (or a script reading a pipe) copies from
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    with contextlib.suppress(asyncio.CancelledError):
        await stop.wait()
    await simulator.stop()
    print(f"stopped after sending {simulator.frames_sent} frames", flush=True)  # noqa: T201
