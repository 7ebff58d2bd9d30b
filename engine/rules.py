"""Field rules that can reject a line: ``required`` and ``validate`` (spec b.3).

``validate`` takes ``allow`` or ``deny`` lists (exact, case-sensitive; ``allow`` wins when both are
given) and the newer ``ip``/``cidr`` checks (``ipv4``, ``ipv6`` or ``any``), and applies to strings.
A rule that fails raises ``RuleFailed``, which the normalizer turns into a ``validation_failed``
reject naming the field and the rule.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from typing import Any

from .errors import BadValue

Check = Callable[[str], None]


class RuleFailed(BadValue):
    """A value (or an absent one) that breaks a field's rule; ``rule`` is the rule's name."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(rule, detail)
        self.rule = rule


def missing() -> RuleFailed:
    """The failure of ``required: true`` on an absent or null value."""
    return RuleFailed("required", "the field is required but absent")


def compile_validate(validate: Mapping[str, Any]) -> Check | None:
    """One function running a field's ``validate`` block on a present value, or ``None`` without one."""
    checks: list[Check] = []
    if "allow" in validate:
        checks.append(_allow(frozenset(validate["allow"])))
    elif "deny" in validate:  # allow wins when both are given (spec b.3)
        checks.append(_deny(frozenset(validate["deny"])))
    if "ip" in validate:
        checks.append(_address("ip", validate["ip"], _ip))
    if "cidr" in validate:
        checks.append(_address("cidr", validate["cidr"], _network))
    if not checks:
        return None
    if len(checks) == 1:
        return checks[0]

    def check_all(value: str) -> None:
        for check in checks:
            check(value)

    return check_all


def _allow(allowed: frozenset[str]) -> Check:
    def check(value: str) -> None:
        if value not in allowed:
            raise RuleFailed("allow", "not one of the allowed values")

    return check


def _deny(denied: frozenset[str]) -> Check:
    def check(value: str) -> None:
        if value in denied:
            raise RuleFailed("deny", "one of the denied values")

    return check


def _ip(text: str) -> int:
    return ipaddress.ip_address(text).version


def _network(text: str) -> int:
    if "/" not in text:
        raise ValueError(text)
    return ipaddress.ip_network(text, strict=False).version


def _address(rule: str, family: str, parse: Callable[[str], int]) -> Check:
    """An ``ip``/``cidr`` check: the value must parse, and be of ``family`` unless that is ``any``."""
    wanted = {"ipv4": 4, "ipv6": 6}.get(family)
    what = {"ip": "an IP address", "cidr": "a CIDR block"}[rule]
    detail = what if wanted is None else f"{what} ({family})"

    def check(value: str) -> None:
        try:
            version = parse(value)
        except ValueError:
            raise RuleFailed(rule, f"not {detail}") from None
        if wanted is not None and version != wanted:
            raise RuleFailed(rule, f"not {detail}")

    return check
