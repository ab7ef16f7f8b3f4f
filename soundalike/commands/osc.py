"""``soundalike osc ...``: a small OSC client for a running soundalike (serve or the TUI).

It is the quickest way to check the bridge works and to see exactly what a Max patch or DAW
script will receive; ``soundalike osc send`` sends any message and prints every reply.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable

from soundalike.engine.config import Settings
from soundalike.engine.errors import UserError

Handler = Callable[[argparse.Namespace, Settings], int]


def add_parsers(commands) -> None:
    osc = commands.add_parser("osc", help="talk to a running soundalike over OSC (test and debug the bridge)")
    sub = osc.add_subparsers(dest="osc_command", metavar="REQUEST", required=True)
    _add(sub, "similar", "the sounds closest to a file", cmd_similar, [("file",)], k=True)
    _add(sub, "search", "sounds matching a text description (needs the clap backend)", cmd_search, [("text",)], k=True)
    _add(sub, "tags", "tags of a file in the library", cmd_tags, [("file",)])
    _add(sub, "random", "a random sample, optionally with a tag", cmd_random, [("tag", "?")])
    _add(sub, "status", "the server's status and counters", cmd_status, [])
    _add(sub, "backends", "enabled backends and their aspects", cmd_backends, [])
    ping = _add(sub, "ping", "round trip to the server", cmd_ping, [])
    ping.add_argument("--count", type=int, default=3, help="pings to send (default 3)")
    subscribe = _add(sub, "subscribe", "print push events (new samples, indexing progress)", cmd_subscribe, [])
    subscribe.add_argument("--seconds", type=float, default=0, help="stop after this long (default: Ctrl-C)")
    send = _add(sub, "send", "send any OSC message and print every reply", cmd_send, [("address",)])
    send.add_argument("values", nargs="*", help="arguments: ints, floats, anything else is a string")
    send.add_argument("--wait", type=float, default=1.0, help="seconds to print replies for (default 1)")


def _add(sub, name: str, help_text: str, handler: Handler, positionals, k: bool = False):
    parser = sub.add_parser(name, help=help_text)
    for spec in positionals:
        parser.add_argument(spec[0], nargs=spec[1] if len(spec) > 1 else None)
    parser.add_argument("--host", help="server host (default: osc_host from config, or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="server port (default: osc_port from config)")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for a reply (default 5)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    if k:
        parser.add_argument("-k", type=int, default=10, help="how many results (default 10)")
        parser.add_argument("--backend", help="backend for this query (default: the server's default)")
        parser.add_argument("--aspect", help="weight aspects: 'timbre' or 'timbre=1,envelope=0.5'")
        parser.add_argument("--format", choices=("hits", "list", "both"), help="reply style to request")
    parser.set_defaults(handler=_guarded(handler))
    return parser


def _guarded(handler: Handler) -> Handler:
    def run(args: argparse.Namespace, settings: Settings) -> int:
        from soundalike.bridge.osc.client import ClientTimeout

        try:
            return handler(args, settings)
        except ClientTimeout as e:
            raise UserError(f"{e}: is soundalike running? Start it with `soundalike serve` or the TUI") from e

    return run


def _client(args: argparse.Namespace, settings: Settings):
    from soundalike.bridge.osc.client import OscClient

    host = args.host or settings.bridge.osc_host
    host = "127.0.0.1" if host in ("0.0.0.0", "", "localhost") else host
    client = OscClient(host, args.port or settings.bridge.osc_port, timeout=args.timeout)
    if settings.bridge.reply_port:  # the server would answer elsewhere: ask for replies here
        client.set("reply_port", client.port)
    for key in ("backend", "aspect", "format"):
        value = getattr(args, key, None)
        if value:
            _check(client.set(key, value))
    return client


def _check(response) -> None:
    if response.error:
        raise UserError(f"server: {response.error}")


def _print_hits(response, started: float, as_json: bool) -> int:
    _check(response)
    if as_json:
        print(
            json.dumps(
                [{"rank": r, "path": path, "score": round(score, 6)} for r, path, score in response.hits]
                or [{"path": path} for path in response.paths],
                indent=1,
            )
        )
        return 0
    for rank, path, score in response.hits:
        print(f"{rank:3d}  {score:6.3f}  {path}")
    if not response.hits:
        for path in response.paths:
            print(path)
    print(f"({response.count} results, round trip {(time.perf_counter() - started) * 1000:.1f} ms)")
    return 0


def cmd_similar(args: argparse.Namespace, settings: Settings) -> int:
    with _client(args, settings) as client:
        started = time.perf_counter()
        return _print_hits(client.similar(os.path.abspath(args.file), args.k), started, args.json)


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    with _client(args, settings) as client:
        started = time.perf_counter()
        return _print_hits(client.search(args.text, args.k), started, args.json)


def cmd_random(args: argparse.Namespace, settings: Settings) -> int:
    with _client(args, settings) as client:
        started = time.perf_counter()
        return _print_hits(client.random(args.tag or ""), started, args.json)


def cmd_tags(args: argparse.Namespace, settings: Settings) -> int:
    from soundalike.bridge.osc.protocol import TAG

    with _client(args, settings) as client:
        response = client.tags(os.path.abspath(args.file))
        _check(response)
        tags = response.of(TAG)
        if args.json:
            print(json.dumps([{"source": s, "tag": t, "score": round(v, 4)} for s, t, v in tags], indent=1))
        for source, tag, score in [] if args.json else tags:
            print(f"{score:6.3f}  {tag}  ({source})")
        if not tags and not args.json:
            print("no tags (only backends that can name sounds, such as clap, tag samples)")
    return 0


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    with _client(args, settings) as client:
        status = client.status()
    if args.json:
        print(json.dumps(status, indent=1))
    for key, value in [] if args.json else status.items():
        print(f"{key:16s} {value}")
    return 0


def cmd_backends(args: argparse.Namespace, settings: Settings) -> int:
    from soundalike.bridge.osc.protocol import BACKEND

    with _client(args, settings) as client:
        response = client.backends()
    _check(response)
    rows = [{"name": row[0], "dim": row[1], "aspects": list(row[2:])} for row in response.of(BACKEND)]
    if args.json:
        print(json.dumps(rows, indent=1))
    for row in [] if args.json else rows:
        print(f"{row['name']:10s} {row['dim']:5d}-d  aspects: {', '.join(row['aspects']) or '(one vector)'}")
    return 0


def cmd_ping(args: argparse.Namespace, settings: Settings) -> int:
    with _client(args, settings) as client:
        times = []
        for _ in range(max(1, args.count)):
            started = time.perf_counter()
            client.ping()
            times.append((time.perf_counter() - started) * 1000)
    if args.json:
        print(json.dumps({"ms": [round(t, 3) for t in times]}))
    else:
        print(f"pong from {client.server[0]}:{client.server[1]}: " + ", ".join(f"{t:.2f} ms" for t in times))
    return 0


def cmd_subscribe(args: argparse.Namespace, settings: Settings) -> int:
    from soundalike.bridge.osc import protocol as p
    from soundalike.bridge.osc.client import ClientTimeout

    with _client(args, settings) as client:
        response = client.subscribe()
        _check(response)
        lease, renewal = response.count or 0, client.next_id()
        renew_at = time.monotonic() + lease / 2 if lease else float("inf")
        print(f"subscribed on port {client.port}; events follow (Ctrl-C to stop)", flush=True)
        deadline = time.monotonic() + args.seconds if args.seconds > 0 else float("inf")
        try:
            while time.monotonic() < deadline:
                if time.monotonic() >= renew_at:  # the subscription is a lease: renew it halfway
                    client.send(f"{p.PREFIX}/subscribe", 0, renewal)
                    renew_at = time.monotonic() + lease / 2
                try:
                    messages = client.stray + client.receive(min(1.0, max(0.01, deadline - time.monotonic())))
                except ClientTimeout:
                    continue
                client.stray.clear()
                for address, values in messages:
                    if address == p.HELLO:  # the server restarted: make sure it knows us
                        client.send(f"{p.PREFIX}/subscribe", 0, renewal)
                    if address in (p.DONE, p.ERROR) and values[:1] == (renewal,):
                        continue
                    print(
                        json.dumps([address, *values]) if args.json else f"{address} {' '.join(map(str, values))}",
                        flush=True,
                    )
        except KeyboardInterrupt:
            pass
        client.unsubscribe()
    return 0


def cmd_send(args: argparse.Namespace, settings: Settings) -> int:
    from soundalike.bridge.osc.client import ClientTimeout

    with _client(args, settings) as client:
        client.send(args.address, *[_typed(value) for value in args.values])
        deadline, seen = time.monotonic() + args.wait, 0
        while time.monotonic() < deadline:
            try:
                messages = client.receive(max(0.01, deadline - time.monotonic()))
            except ClientTimeout:
                break
            for address, values in messages:
                seen += 1
                print(json.dumps([address, *values]) if args.json else f"{address} {' '.join(map(str, values))}")
    if not seen:
        print(f"(no reply within {args.wait} s)")
    return 0


def _typed(text: str) -> int | float | str:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text
