"""Text lines: line templates mined from the sample, written as fastmatch patterns (or a regex).

Lines are cut into tokens (``tokens.py``). Lines with the same shape (token count, separators, and
the keys of ``key=value`` tokens) form a group; each large group gives a template in which tokens
that never change are literal text and the others are placeholders, cut further at punctuation
that every line shares (``<%{a}>%{b}``, ``key=%{key}``, ``"%{quoted}"``, ``%{ip}:%{port}``, integers
joined by ``/``), at the
spaces of an HTTP request line (``"%{method} %{uri} %{protocol}"``), and before a unit every value
ends in (``connect=%{connect}ms``, then typed as a number). A value after ``key=`` is a placeholder
even when constant; a key is never one. A generic template follows: the longest run of leading
tokens of one kind on every line (a ``key=value`` counts with its key), up to a tag that ends with
a colon (``sshd[2718]:``, ``orders:``) or a dash on every line past the third token, then the rest
as ``message``. A group that is only some of the generic template's lines, cut into words of free
text, is left to it. Templates are kept in order of the lines they take that no earlier one takes;
lines none takes are reported as outliers.

Placeholders are named (``_name_of``) from evidence, else by position (``field_3``): the key before
``=``; the place in a well-known header (syslog ``message_length <priority>version timestamp
hostname app_name proc_id msg_id``, a tag's ``app`` and ``pid``, the common log format's ``ident``
and ``user`` kept as values even when always ``-``, ``status``, ``bytes``, ``referer`` and
``user_agent`` after a request); the shape of the values (times, levels, IPs, URLs, a bracketed
``pid``, a ``thread`` and a dotted ``logger`` after the level); else a constant word just before.

Fastmatch cuts a placeholder at the first occurrence of the text after it, so a time holding
spaces (``Mar  7 03:04:05``) followed by a space cannot be a placeholder: such a template is
written as a regex instead, one template only (the regex parser joins its entries into one
pattern): the shape every line has if there is one, else the generic template, where a tag whose
pid only some lines have is an optional group.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from ..parsers.fastmatch import PatternError, compile_pattern
from .names import Names, sanitized
from .tokens import BARE, BRACKET, ISO_TIME, QUOTED, SYSLOG_TIME, TIME, Tokens, pieces, tokenize
from .values import URL, is_ip, text_time_formats

MAX_TEMPLATES: Final = 4
MAX_MINED: Final = 5000
"""Templates are mined from the first lines only; every line is then matched, typed and checked."""
_WORD: Final = re.compile(r"[A-Za-z][A-Za-z_-]*")
_PUNCT: Final = re.compile(r"[^A-Za-z0-9\s]+")
_LEVELS: Final = frozenset((
    "TRACE", "DEBUG", "INFO", "NOTICE", "WARN", "WARNING", "ERROR", "ERR", "CRIT", "CRITICAL", "FATAL",
    "LOG", "PANIC", "ALERT", "EMERG", "SEVERE", "FINE",
))  # fmt: skip
_HOST: Final = re.compile(r"[a-z0-9][A-Za-z0-9._:-]*")
_STATUS: Final = re.compile(r"[1-5][0-9][0-9]")
_REQUEST: Final = re.compile(r"[A-Z]+ \S+ [A-Z]+/[0-9.]+")
_NUMBER_UNIT: Final = re.compile(r"([0-9]+(?:\.[0-9]+)?)([A-Za-z%µ]+)")
UNITS: Final = frozenset((
    "ns", "us", "µs", "ms", "s", "m", "min", "h", "d", "%",
    "b", "B", "kb", "kB", "KB", "KiB", "mb", "MB", "MiB", "gb", "GB", "GiB", "tb", "TB", "TiB",
))  # fmt: skip
"""Units a number may end in: a column whose every value ends in one of them is typed as a number,
the unit kept as literal text after the placeholder."""
_TAG: Final = re.compile(r"([A-Za-z][\w./-]*)(?:\[([0-9]+)\])?:")
"""A syslog tag, ``sshd[2718]:`` or ``kernel:``."""
_LOGGER: Final = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*){2,}")
_INTS: Final = re.compile(r"[0-9]+")
_COUNTERS: Final = re.compile(r"-?[0-9]+(?:/-?[0-9]+)+")
_DATE: Final = re.compile(r"[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}|[0-9]{4}/[0-9]{1,2}/[0-9]{1,2}")
_PRI: Final = re.compile(r"<[0-9]{1,3}>(?:[0-9]{1,2})?")
_IP_PORT: Final = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}:[0-9]{1,5}")
TAG: Final = "tag"


@dataclass(frozen=True)
class Var:
    """A placeholder: a name hint and the values it holds on the lines it was mined from."""

    hint: str
    values: tuple[str, ...]
    kind: str = BARE  # TIME for a whole time token, TAG for a ``name[pid]:`` tag whose pid may lack
    rest: bool = False  # the rest of the line
    unit: str = ""  # the unit every value ended in, now literal text after the placeholder


Part = str | Var


@dataclass(frozen=True)
class Template:
    """A mined template: literal texts and placeholders, and how many sample lines it came from."""

    parts: tuple[Part, ...]
    lines: int
    generic: bool

    def spaced_time(self) -> bool:
        """Whether a time holding a space is followed by more text (fastmatch cannot cut it)."""
        return any(
            isinstance(p, Var)
            and p.kind == TIME
            and any(" " in v for v in p.values)
            and i < len(self.parts) - 1
            for i, p in enumerate(self.parts)
        )


def _class(token_text: str, kind: str) -> str:
    """A coarse class of a token, for finding where lines stop sharing structure."""
    if token_text == "-":
        return "-"
    if kind != BARE:
        return kind
    literals, values = pieces(token_text)
    if len(literals) > 1 and literals[1].startswith("=") and values:
        return "kv:" + values[0]  # lines whose keys differ here are not one run
    if _TAG.fullmatch(token_text):
        return "tag"
    if is_ip(token_text) or _WORD.fullmatch(token_text) or re.fullmatch(r"[\w.\-/@]+", token_text):
        return "word"
    return "punct:" + "".join(literals)


def _same(texts: Sequence[str]) -> bool:
    return len(set(texts)) == 1


def _with_unit(hint: str, values: tuple[str, ...]) -> list[Part]:
    """A placeholder, then the unit its every value ends in (``12ms`` → ``%{x}ms``), if they do;
    or integers joined by '/' (``18/3/1``), one placeholder each."""
    if _counters(values):
        cut = [v.split("/") for v in values]
        counters: list[Part] = [Var(hint, tuple(c[0] for c in cut))]
        for k in range(1, len(cut[0])):
            counters += ["/", Var("field", tuple(c[k] for c in cut))]
        return counters
    found = [_NUMBER_UNIT.fullmatch(v) for v in values]
    units = {m.group(2) for m in found if m is not None}
    if values and all(found) and len(units) == 1 and (unit := units.pop()) in UNITS:
        numbers = tuple(m.group(1) for m in found if m is not None)
        return [Var(hint, numbers, unit=unit), unit]
    return [Var(hint, values)]


def _column(tokens: Sequence[Tokens], i: int, *, specific: bool) -> list[Part]:
    """The parts of token position ``i`` over lines of one shape."""
    col = [t.tokens[i] for t in tokens]
    texts = [t.text for t in col]
    kinds = {t.kind for t in col}
    if _same(texts) and (_PUNCT.fullmatch(texts[0]) or (specific and _WORD.fullmatch(texts[0]))):
        return [texts[0]]
    if kinds == {QUOTED}:
        inner = tuple(t[1:-1] for t in texts)
        if all(_REQUEST.fullmatch(v) for v in inner):  # an HTTP request line: method, URI, protocol
            cut = [v.split(" ") for v in inner]
            return ['"', *_request_parts(cut), '"']
        return ['"', Var("quoted", inner), '"']
    if kinds == {BRACKET}:
        return ["[", Var("bracket", tuple(t[1:-1] for t in texts)), "]"]
    if kinds == {TIME}:
        return [Var("timestamp", tuple(texts), TIME)]
    if kinds == {BARE} and all(_IP_PORT.fullmatch(t) for t in texts):  # 10.0.0.1:5432
        cut = [t.rsplit(":", 1) for t in texts]
        return [Var("field", tuple(c[0] for c in cut)), ":", Var("port", tuple(c[1] for c in cut))]
    tags = [_TAG.fullmatch(t) for t in texts]
    if kinds == {BARE} and all(tags) and len({m.group(2) is None for m in tags if m is not None}) > 1:
        # some tags have a pid, some not: a regex takes both
        return [Var("app", tuple(t[:-1] for t in texts), TAG), ":"]
    if kinds == {BARE} and "-" not in texts:
        cut = [pieces(t) for t in texts]
        skeleton = cut[0][0]
        if len(skeleton) > 1 and all(c[0] == skeleton for c in cut) and any(skeleton):
            parts: list[Part] = [skeleton[0]]
            for j in range(len(skeleton) - 1):
                values = tuple(c[1][j] for c in cut)
                is_key = skeleton[j + 1].startswith("=") and _same(values) and _WORD.fullmatch(values[0])
                if is_key:
                    parts.append(values[0])
                else:
                    key = parts[-1][:-1] if isinstance(parts[-1], str) and parts[-1].endswith("=") else ""
                    if not key and isinstance(parts[-1], str) and parts[-1].endswith('="'):
                        key = parts[-1][:-2]
                    parts += _with_unit(key or "field", values)
                parts.append(skeleton[j + 1])
            return parts
    return _with_unit("field", tuple(texts))


def _counters(texts: Sequence[str]) -> bool:
    """Whether every value is integers joined by '/', as many on each line (HAProxy's timers and
    connection counts), and not a date."""
    counts = {len(t.split("/")) for t in texts}
    return (
        len(counts) == 1
        and counts.pop() > 1
        and all(_COUNTERS.fullmatch(t) for t in texts)
        and not any(_DATE.fullmatch(t) for t in texts)
        and text_time_formats(list(texts)) is None
    )


def _request_parts(cut: Sequence[list[str]]) -> list[Part]:
    """``GET /x HTTP/1.1`` as three placeholders: ``method``, ``uri``, ``protocol``."""
    hints = ("method", "uri", "protocol")
    out: list[Part] = []
    for k, hint in enumerate(hints):
        out += [Var(hint, tuple(c[k] for c in cut))] + ([" "] if k < 2 else [])
    return out


def _keyed(parts: Sequence[Part]) -> tuple[Part, ...]:
    """Name a value after the key written before it (``at=``, ``fwd="``)."""
    out: list[Part] = []
    for part in parts:
        keyable = ("field", "quoted", "timestamp")
        if isinstance(part, Var) and part.hint in keyable and out and isinstance(out[-1], str):
            before = out[-1].rstrip('"')
            if before.endswith("="):
                key = re.split(r"[^\w.-]", before[:-1])[-1]
                if key:
                    out.append(Var(key, part.values, part.kind, part.rest, part.unit))
                    continue
        out.append(part)
    return tuple(out)


def _merged(parts: Sequence[Part]) -> tuple[Part, ...]:
    """Adjacent literals joined, empty ones dropped; adjacent placeholders joined (fastmatch needs
    text between two placeholders)."""
    out: list[Part] = []
    for part in parts:
        if isinstance(part, str):
            if not part:
                continue
            if out and isinstance(out[-1], str):
                out[-1] += part
                continue
        elif out and isinstance(out[-1], Var):
            last = out[-1]
            joined = tuple(a + b for a, b in zip(last.values, part.values, strict=True))
            out[-1] = Var("field", joined, BARE, part.rest)
            continue
        out.append(part)
    return tuple(out)


def _clf(tokens: Sequence[Tokens]) -> bool:
    """Whether lines start as the common log format does: a client address, two words (ident and
    user, often ``-``), then a bracketed time."""
    if any(len(t.tokens) < 4 for t in tokens):
        return False
    heads = [t.tokens[:4] for t in tokens]
    return (
        all(h[0].kind == BARE and (is_ip(h[0].text) or _HOST.fullmatch(h[0].text)) for h in heads)
        and all(h[1].kind == BARE and h[2].kind == BARE for h in heads)
        and all(h[3].kind == BRACKET for h in heads)
        and _mostly_times([h[3].text[1:-1] for h in heads])
    )


def _mostly_times(values: Sequence[str]) -> bool:
    """Whether three in four of the first distinct values (50 at most) read as times: a name is
    given by the values' shape, which a stray value (``UTC`` for a zone) does not change."""
    head = list(dict.fromkeys(values))[:50]
    times = sum(1 for v in head if text_time_formats([v]) is not None)
    return bool(head) and 4 * times >= 3 * len(head)


def _syslog_slots(tokens: Sequence[Tokens]) -> dict[int, str]:
    """The token positions of a syslog header's values after its time, by name: ``<PRI>TIME HOST``
    (RFC 3164) or ``<PRI>1 TIME HOST APP PROCID MSGID`` (RFC 5424), an octet count before or not."""
    first = tokens[0].tokens
    start = 1 if first and _INTS.fullmatch(first[0].text) else 0
    if any(len(t.tokens) < start + 3 for t in tokens):
        return {}
    pri = {_PRI.fullmatch(t.tokens[start].text) is not None for t in tokens}
    time = {t.tokens[start + 1].kind for t in tokens}
    if pri != {True} or time != {TIME}:
        return {}
    rfc5424 = all(t.tokens[start].text.endswith(">1") for t in tokens)
    names = ("hostname", "app_name", "proc_id", "msg_id") if rfc5424 else ("hostname",)
    slots = {start + 2 + k: name for k, name in enumerate(names)}
    plain = all(
        t.tokens[i].kind == BARE and not t.tokens[i].text.endswith(":") for t in tokens for i in slots
    )
    return slots if all(len(t.tokens) > max(slots) for t in tokens) and plain else {}


def _columns(tokens: Sequence[Tokens], *, specific: bool, depth: int) -> list[Part]:
    """The parts of the first ``depth`` token positions, with what follows each. The slots of a
    common log format or syslog header are values even when constant (``-`` is a missing value;
    ``host heroku router`` of one line family are the host, app and process of that family)."""
    slots = {1: "ident", 2: "user"} if _clf(tokens) else _syslog_slots(tokens)
    parts: list[Part] = [tokens[0].lead]
    for i in range(depth):
        if i in slots:
            parts.append(Var(slots[i], tuple(t.tokens[i].text for t in tokens)))
        else:
            parts += _column(tokens, i, specific=specific)
        parts.append(tokens[0].seps[i])
    return parts


def _template(group: Sequence[Tokens]) -> Template:
    parts = _columns(group, specific=True, depth=len(group[0].tokens))
    return Template(_keyed(_merged(parts)), len(group), generic=False)


def _generic(tokenized: Sequence[Tokens]) -> tuple[Template, int, set[int]]:
    """Leading tokens of one class and separator on the lines, then the rest as ``message``.

    Lines that break the run (another class, another separator, too few tokens) are left out of the
    template while they are at most a fifth of the lines, or a third at the first token (where lines
    of another format show): they are the outliers to report. Returns the template, how many tokens
    it cuts before the message, and the ids of the lines it was mined from.
    """
    leads = Counter(t.lead for t in tokenized)
    lead = leads.most_common(1)[0][0]
    budget = len(tokenized) // 5
    lines = [t for t in tokenized if t.lead == lead]
    budget -= len(tokenized) - len(lines)
    depth = 0
    while True:
        longer = [t for t in lines if len(t.tokens) > depth + 1]
        if not longer:
            break
        classes = Counter(_class(t.tokens[depth].text, t.tokens[depth].kind) for t in longer)
        classes.pop("-", None)
        major = classes.most_common(1)[0][0] if classes else "-"
        seps = Counter(t.seps[depth] for t in longer)
        sep = seps.most_common(1)[0][0]
        keep = [
            t
            for t in longer
            if t.seps[depth] == sep and _class(t.tokens[depth].text, t.tokens[depth].kind) in (major, "-")
        ]
        dropped = len(lines) - len(keep)
        if dropped > (len(tokenized) // 3 if depth == 0 else budget):
            break
        budget = max(0, budget - dropped)
        lines = keep
        depth += 1
        if all(t.tokens[depth - 1].text.endswith(":") for t in lines):
            break  # a tag: the message follows
        if depth > 3 and all(t.tokens[depth - 1].text == "-" for t in lines):
            break  # a dash on every line past the first tokens: a nil syslog field, or ' - ' before a message
    parts = _columns(lines, specific=False, depth=depth)
    rests = tuple(_rest(t, depth) for t in lines)
    parts.append(Var("message", rests, BARE, rest=True))
    return Template(_keyed(_merged(parts)), len(lines), generic=True), depth, {id(t) for t in lines}


def _rest(t: Tokens, depth: int) -> str:
    return "".join(tok.text + sep for tok, sep in zip(t.tokens[depth:], t.seps[depth:], strict=True))


def mine(lines: Sequence[str]) -> list[Template]:
    """Candidate templates for ``lines``: the large groups' own, then the generic one."""
    tokenized = [tokenize(line) for line in lines[:MAX_MINED]]
    groups: dict[tuple[object, ...], list[Tokens]] = {}
    for t in tokenized:
        keys = tuple(_key(tok.text, tok.kind) for tok in t.tokens)
        groups.setdefault((t.lead, len(t.tokens), t.seps, keys), []).append(t)
    least = max(3, math.ceil(0.1 * len(lines)))
    large = sorted((g for g in groups.values() if len(g) >= least), key=len, reverse=True)
    usable = [t for t in tokenized if t.tokens]
    generic = _generic(usable) if usable else None
    templates = [_template(g) for g in large if g[0].tokens and not _free_text(g, generic)]
    templates = templates[:MAX_TEMPLATES]
    if generic is not None:
        templates.append(generic[0])
    return templates


def _free_text(group: Sequence[Tokens], generic: tuple[Template, int, set[int]] | None) -> bool:
    """Whether a group is only some of the generic template's lines whose message has a given
    number of words (``Started GET "/x" for 10.0.0.1``): its template would cut free text into
    unnamed words, where the generic one keeps it whole as ``message``. A group holding every line
    of the generic template (one format, cut whole), or a ``key=value`` in its message, is kept."""
    if generic is None:
        return False
    template, depth, ids = generic
    if len(group) >= template.lines or not all(id(t) in ids for t in group):
        return False
    tail = group[0].tokens[depth:]
    return len(tail) >= 2 and not any(_class(t.text, t.kind).startswith("kv:") for t in tail)


def _key(text: str, kind: str) -> str | None:
    if kind != BARE:
        return None
    literals, values = pieces(text)
    return values[0] if len(literals) > 1 and literals[1].startswith("=") and values else None


# --- names and patterns ---------------------------------------------------------------------------


def _name_of(var: Var, names: Names, index: int, around: tuple[str, str, str]) -> str:
    """A name for a placeholder: the key or word before it, where it sits in a well-known header
    (syslog, common log format), or what its values are; else its position. ``around`` is the
    literal text before and after it, and the name of the placeholder before."""
    before, after, previous = around
    values = [v for v in var.values if v and v != "-"]
    ints = bool(values) and all(_INTS.fullmatch(v) for v in values)
    word = re.search(r"(?:^|[^\w.-])([A-Za-z][A-Za-z_]{1,30}) $", before)
    if var.rest:
        wanted = "message"
    elif var.hint not in ("field", "quoted", "bracket"):
        wanted = sanitized(var.hint, "field")
    elif values and _mostly_times(values):
        wanted = "timestamp"
    elif before.endswith("<") and after.startswith(">") and ints:
        wanted = "priority"
    elif index == 1 and not before and after.startswith(" <") and ints:
        wanted = "message_length"  # an octet count before a syslog line (RFC 6587)
    elif previous == "priority" and before == ">" and ints and all(len(v) < 3 for v in values):
        wanted = "version"
    elif (
        after.startswith("[")
        and not before.endswith("[")
        and values
        and all(_WORD.fullmatch(v) for v in values)
    ):
        wanted = "app"  # a tag, name[pid]:
    elif (
        after.startswith(": ")
        and previous in ("hostname", "level")
        and values
        and all(_WORD.fullmatch(v) for v in values)
    ):
        wanted = "app" if previous == "hostname" else "logger"  # a tag without pid, or a module
    elif previous == "app" and before == "[" and after.startswith("]"):
        wanted = "pid" if ints else "proc_id"
    elif previous == "timestamp" and before == " " and values and all(_HOST.fullmatch(v) for v in values):
        wanted = "hostname"
    elif (
        previous in _SYSLOG_SLOTS
        and "version" in names.taken
        and before.endswith(" ")
        and ((slot := _SYSLOG_SLOTS.index(previous) + len(before.split()) + 1) < len(_SYSLOG_SLOTS))
    ):
        wanted = _SYSLOG_SLOTS[slot]  # RFC 5424: HOSTNAME APP-NAME PROCID MSGID, constant ones literal
    elif (before.endswith('" ') and _most(values, _STATUS.fullmatch)) or (
        before == " "
        and all(_STATUS.fullmatch(v) for v in values)
        and len(set(values)) > 2
        and "200" in values
    ):
        wanted = "status"  # after a request line (a stray value aside), or codes that vary, 200 among them
    elif previous == "status" and before == " " and _most(values, _INTS.fullmatch):
        wanted = "bytes"
    elif (
        var.hint == "quoted"
        and previous == "bytes"
        and _most(var.values, lambda v: v == "-" or URL.fullmatch(v))
    ):
        wanted = "referer"
    elif var.hint == "quoted" and (
        previous == "referer" or any(v.startswith(("Mozilla/", "curl/")) for v in values)
    ):
        wanted = "user_agent"
    elif values and all(v.upper() in _LEVELS for v in values):
        wanted = "level"
    elif var.hint == "bracket" and ints:
        wanted = "pid"
    elif var.hint == "bracket" and previous == "level":
        wanted = "thread"
    elif values and all(_LOGGER.fullmatch(v) for v in values) and previous in ("level", "thread"):
        wanted = "logger"
    elif values and all(is_ip(v) for v in values):
        wanted = "ip"
    elif values and all(URL.fullmatch(v) for v in values):
        wanted = "url"
    elif values and 2 * sum(1 for v in values if _REQUEST.fullmatch(v)) >= len(values):
        wanted = "request"  # kept whole: some lines ('-', bytes of a TLS handshake) are no request line
    elif word is not None and word.group(1).lower() not in _STOP_WORDS:
        wanted = word.group(1).lower()  # the constant word before it: 'length 12'
    else:
        wanted = f"field_{index}"
    return names.take(wanted)


def _most(values: Sequence[str], fits: Callable[[str], object]) -> bool:
    """Whether three values in four fit (a shape names a column; a stray value does not change it)."""
    return bool(values) and 4 * sum(1 for v in values if fits(v)) >= 3 * len(values)


_SYSLOG_SLOTS: Final = ("timestamp", "hostname", "app_name", "proc_id", "msg_id")
_STOP_WORDS: Final = frozenset(
    ("a", "an", "the", "to", "of", "for", "in", "on", "at", "by", "and", "or", "is")
)


def named(templates: Sequence[Template]) -> list[list[str | tuple[str, Var]]]:
    """Each template's parts with its placeholders named: names are unique within a template, and
    positions shared by templates get the same name when their hints agree."""
    out = []
    for template in templates:
        names = Names()
        parts: list[str | tuple[str, Var]] = []
        index = 0
        previous = ""
        for i, part in enumerate(template.parts):
            if isinstance(part, str):
                parts.append(part)
            else:
                index += 1
                before = template.parts[i - 1] if i > 0 else ""
                after = template.parts[i + 1] if i + 1 < len(template.parts) else ""
                around = (before if isinstance(before, str) else "", after if isinstance(after, str) else "")
                name = _name_of(part, names, index, (*around, previous))
                previous = name
                if part.kind == TAG:  # its pid, when there is one, is a second group
                    name += " " + names.take("pid")
                    previous = "pid"
                parts.append((name, part))
        out.append(parts)
    return out


def fastmatch_source(parts: Sequence[str | tuple[str, Var]]) -> str | None:
    """The fastmatch pattern of named parts, or None when it cannot be one."""
    text = "".join(p if isinstance(p, str) else "%{" + p[0] + "}" for p in parts)
    if any(isinstance(p, str) and "%{" in p for p in parts) or len(text) < 4:
        return None
    if any(not isinstance(p, str) and p[1].kind == TAG for p in parts):  # an optional pid
        return None
    try:
        compile_pattern(text)
    except PatternError:
        return None
    return text


def _escaped(text: str) -> str:
    """``re.escape`` without escaping spaces, which need none and read badly."""
    return re.escape(text).replace("\\ ", " ")


def regex_source(parts: Sequence[str | tuple[str, Var]]) -> str:
    """A regex for named parts: each placeholder takes text up to its delimiter's first character
    (a time, its own shape), anchored at both ends."""
    out = ["^"]
    for i, part in enumerate(parts):
        if isinstance(part, str):
            out.append(_escaped(part))
            continue
        name, var = part
        after = parts[i + 1] if i + 1 < len(parts) else None
        if var.kind == TAG:
            app, pid = name.split(" ")
            out.append(rf"(?P<{app}>[^\s\[\]:]+)(?:\[(?P<{pid}>[0-9]+)\])?")
            continue
        if var.kind == TIME:
            syslog = all(re.fullmatch(SYSLOG_TIME, v) for v in var.values if v != "-")
            body = SYSLOG_TIME if syslog else ISO_TIME
        elif isinstance(after, str):
            body = f"[^{_escaped(after[0])}]*"
        else:
            body = ".*"
        out.append(f"(?P<{name}>{body})")
    out.append("$")
    return "".join(out)
