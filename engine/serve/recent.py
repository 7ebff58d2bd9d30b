"""The ``Logplex-Frame-Id``s acknowledged lately, per route: a batch Logplex sends again (it did not
get our answer in time) is acknowledged again without being written twice."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Final

MOST: Final = 1_000_000
"""The most ids remembered, whatever the window: about 100 MB at worst, never more."""


class Recent:
    """Ids seen within the last ``seconds``, oldest first."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._seen: OrderedDict[tuple[str, str], float] = OrderedDict()

    def seen(self, route: str, frame_id: str) -> bool:
        """Whether ``frame_id`` was acknowledged on ``route`` within the window."""
        self._forget()
        return (route, frame_id) in self._seen

    def add(self, route: str, frame_id: str, *, age: float = 0.0) -> None:
        """Remember that ``frame_id`` was acknowledged on ``route``, ``age`` seconds ago (a note
        read back from the lake's journal at a restart); the newest first-seen order is kept."""
        key = (route, frame_id)
        self._seen.pop(key, None)
        self._seen[key] = self._clock() - age
        while len(self._seen) > MOST:
            self._seen.popitem(last=False)

    def _forget(self) -> None:
        horizon = self._clock() - self.seconds
        while self._seen:
            key, at = next(iter(self._seen.items()))
            if at >= horizon:
                break
            del self._seen[key]
