#!/usr/bin/env python3
"""Deterministic corpora of other log types, for ``tools/bench --kind``: Apache combined access
lines and VPC Flow rows (with their header), with the spread of values real ones have (client
addresses all over the IPv4 space, many paths and referrers, one timestamp per few lines).

    tools/gen_logs.py apache -n 500000 -o /tmp/apache-500000.log
    tools/gen_logs.py vpcflow -n 1000000 -o /tmp/vpcflow-1000000.log

Same kind, seed and N give byte-identical output.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable, Iterator

_PATHS = ("/", "/index.html", "/static/app.js", "/login", "/api/v1/items?id={}", "/img/{}.png")
_REFERRERS = ("-", "https://www.google.com/", "https://example.com/page/{}")
_AGENTS = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "curl/8.5.0",
    "python-requests/2.31.0",
)
VPC_HEADER = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end "
    "action log-status"
)


def apache(r: random.Random, n: int) -> Iterator[str]:
    for i in range(n):
        second = i // 50
        when = f"15/Mar/2024:{second // 3600 % 24:02d}:{second // 60 % 60:02d}:{second % 60:02d} +0000"
        client = f"{r.randrange(1, 224)}.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(256)}"
        path = r.choice(_PATHS).format(r.randrange(1000))
        referrer = r.choice(_REFERRERS).format(r.randrange(100))
        user = r.choice(("-", "-", "-", "frank", "bob"))
        status = r.choice((200, 200, 200, 304, 404, 500))
        yield (
            f'{client} - {user} [{when}] "GET {path} HTTP/1.1" {status} {r.randrange(100, 99999)} '
            f'"{referrer}" "{r.choice(_AGENTS)}"'
        )


def vpcflow(r: random.Random, n: int) -> Iterator[str]:
    yield VPC_HEADER
    for i in range(n):
        start = 1710496800 + i // 100
        source = f"10.0.{r.randrange(256)}.{r.randrange(256)}"
        yield (
            f"2 123456789012 eni-0a1b2c3d4e5f6{r.randrange(1000):04d} {source} "
            f"198.51.100.{r.randrange(256)} {r.randrange(1024, 65535)} 443 6 {r.randrange(1, 100)} "
            f"{r.randrange(40, 100000)} {start} {start + 60} {r.choice(('ACCEPT', 'REJECT'))} OK"
        )


KINDS: dict[str, Callable[[random.Random, int], Iterator[str]]] = {"apache": apache, "vpcflow": vpcflow}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=sorted(KINDS))
    parser.add_argument("-n", "--lines", type=int, default=1_000_000)
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--seed", type=int, default=20240315)
    args = parser.parse_args()
    with open(args.output, "w", encoding="utf-8", newline="\n") as out:
        for line in KINDS[args.kind](random.Random(args.seed), args.lines):
            out.write(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
