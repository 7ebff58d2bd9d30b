"""The ``normalize`` console script and ``python -m engine``: the CLI, with its start-up guarded.

Importing the CLI takes about a third of a second (jsonschema, the compiler, the accelerator); an
interrupt in that time must end the program as an interrupt does later (exit 130), not with an
import traceback. So this module imports nothing of the engine until it can catch that.
"""

from __future__ import annotations

import sys


def main() -> int:
    """Start the CLI; an interrupt while it loads exits 130, as one while it runs does."""
    try:
        from engine.cli import main as cli  # noqa: PLC0415 - here, so that the start-up is guarded
    except KeyboardInterrupt:
        return 130
    return cli()


if __name__ == "__main__":
    sys.exit(main())
