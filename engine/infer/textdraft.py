"""The draft of a text schema: mined templates chosen by the lines they take, captures typed.

Templates (``text.py``) are tried on every sample line with the engine's own fastmatch matcher (or
the ``regex`` module for a regex template), in order; a template is kept when it takes a line no
earlier one takes. Each field is then typed from the values its placeholder captured on the lines,
exactly as the engine will capture them; a number whose unit the pattern keeps as literal text
(``connect=%{connect}ms``) says its unit in a comment.
"""

from __future__ import annotations

from collections.abc import Sequence

import regex

from ..parsers.fastmatch import compile_pattern
from .model import Draft, FieldDraft, Outlier
from .text import MAX_TEMPLATES, Template, fastmatch_source, mine, named, regex_source
from .values import count, guess_text

EMPTY = "-"
Sample = tuple[str, int, str]  # (source, line number, text)


def draft_text(sample: Sequence[Sample]) -> Draft:
    """Mine, choose and type: the draft of a fastmatch (or regex) schema for ``sample``."""
    texts = [text for _, _, text in sample]
    templates = mine(texts)
    parts = named(templates)
    generic = next(i for i, t in enumerate(templates) if t.generic) if templates else None
    if generic is not None and templates[generic].spaced_time():
        whole = next(
            (k for k, t in enumerate(templates) if not t.generic and t.lines >= templates[generic].lines),
            generic,
        )  # one shape for every line: its own template cuts the message too
        return _regex_draft(sample, templates[whole], parts[whole])
    matchers = []
    for template, named_parts in zip(templates, parts, strict=True):
        source = None if template.spaced_time() else fastmatch_source(named_parts)
        if source is not None:
            matchers.append((template, source, compile_pattern(source)))
    if not matchers and generic is not None:  # literal text fastmatch cannot hold, such as "%{"
        return _regex_draft(sample, templates[generic], parts[generic])
    units = {
        name: var.unit
        for template, named_parts in zip(templates, parts, strict=True)
        for name, var in (p for p in named_parts if not isinstance(p, str))
        if var.unit
    }
    chosen: list[tuple[Template, str]] = []
    taken: dict[int, tuple[int, tuple[str, ...]]] = {}  # line index → (pattern index, values)
    for template, source, pattern in matchers:
        new = {}
        for i, text in enumerate(texts):
            if i not in taken and (values := pattern.match(text)) is not None:
                new[i] = values
        if new and len(chosen) < MAX_TEMPLATES + 1:
            for i, values in new.items():
                taken[i] = (len(chosen), values)
            chosen.append((template, source))
    sources = [source for _, source in chosen]
    names_by_pattern = [compile_pattern(source).names for source in sources]
    captures = [dict(zip(names_by_pattern[k], values, strict=True)) for k, values in taken.values()]
    takes = [sum(1 for p, _ in taken.values() if p == k) for k in range(len(chosen))]
    why = [
        f"match[{k}]: {_describe(template)}; takes {count(takes[k], 'line')}"
        for k, (template, _) in enumerate(chosen)
    ]
    draft = _typed(sample, captures, sorted(taken), {"fastmatch": {"match": sources}}, why)
    for f in draft.fields:
        if f.name in units and f.type in ("int", "bigint", "float"):
            f.why.append(
                f"unit: in {units[f.name]}; every value ended in {units[f.name]!r}, which the pattern "
                "keeps as literal text after the number"
            )
    return draft


def _describe(template: Template) -> str:
    if template.generic:
        return "the leading fields every line shares, then the rest of the line as message"
    return f"the template of {count(template.lines, 'line')} of one shape (tokens, separators, keys)"


def _regex_draft(sample: Sequence[Sample], template: Template, parts: list) -> Draft:
    source = regex_source(parts)
    compiled = regex.compile(source)
    captures = []
    lines = []
    for i, (_, _, text) in enumerate(sample):
        found = compiled.search(text)
        if found is not None:
            captures.append({k: v or "" for k, v in found.groupdict().items()})
            lines.append(i)
    why = [
        "regex: a time holding spaces is followed by more text, which a fastmatch placeholder cannot "
        f"cut; {_describe(template)}; takes {count(len(lines), 'line')}"
    ]
    return _typed(sample, captures, lines, {"regex": {"match": [source]}}, why)


def _typed(
    sample: Sequence[Sample],
    captures: list[dict[str, str]],
    covered: list[int],
    parser: dict[str, dict[str, object]],
    why: list[str],
) -> Draft:
    order: list[str] = []
    for capture in captures:
        for name in capture:
            if name not in order:
                order.append(name)
    empty = any(EMPTY in capture.values() for capture in captures)
    config = next(iter(parser.values()))
    if empty:
        config["emptyValues"] = [EMPTY]
        why.append("emptyValues ['-']: '-' stands for a missing value in these lines")
    fields = []
    for name in order:
        values = [c[name] for c in captures if name in c and c[name] and not (empty and c[name] == EMPTY)]
        guess = guess_text(name, values)
        draft = FieldDraft(name, guess.type, [f"{guess.type}: {guess.why[0]}", *guess.why[1:]])
        draft.time_formats, draft.indicators = guess.time_formats, guess.indicators
        present = sum(
            1
            for c in captures
            if name in c and not (empty and c[name] == EMPTY) and (c[name] or guess.type == "string")
        )
        if present == len(captures) and captures:
            draft.required = True
            draft.why.append(f"required: captured on all {count(len(captures), 'line')}")
        fields.append(draft)
    taken = set(covered)
    outliers = [
        Outlier(sample[i][0], sample[i][1], sample[i][2], "no template takes it")
        for i in range(len(sample))
        if i not in taken
    ]
    return Draft("text", parser, fields, parser_why=why, outliers=outliers)
