"""Field names: from a CSV header, a key before ``=``, or what the values are; unique and usable."""

from __future__ import annotations

import re
from typing import Final

_NOT_NAME: Final = re.compile(r"[^A-Za-z0-9_]+")


def sanitized(text: str, fallback: str) -> str:
    """``account-id`` → ``account_id``: letters, digits and ``_``, starting with a letter; the
    fallback when nothing is left. A name starting with ``p_`` (the standard fields') gets ``x_``."""
    name = _NOT_NAME.sub("_", text).strip("_")
    if not name:
        return fallback
    if not name[0].isalpha():
        name = f"{fallback}_{name}"
    if name.startswith("p_"):
        name = "x_" + name
    return name


class Names:
    """Hands out unique names: the second ``ip`` is ``ip_2``."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def take(self, wanted: str) -> str:
        name, n = wanted, 1
        while name in self.taken:
            n += 1
            name = f"{wanted}_{n}"
        self.taken.add(name)
        return name
