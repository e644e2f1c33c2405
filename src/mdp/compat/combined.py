"""Combinators: ``allOf`` (product), ``anyOf`` / ``oneOf`` (sum) and ``not``.

Same combinator on both sides (Confluent's rules): fewer or more subschemas give ``*_TYPE_NARROWED`` /
``*_TYPE_EXTENDED``; then old and new subschemas are paired by a maximum bipartite matching over trial
comparisons that are compatible under the policy. If fewer pairs than the smaller side can be matched,
``COMBINED_TYPE_SUBSCHEMAS_CHANGED`` (its message names the closest reason); otherwise the matched pairs'
changes are reported. A changed combinator is ``COMBINED_TYPE_EXTENDED`` when the new one is ``anyOf``
(and the subschemas are then matched as above), else ``COMBINED_TYPE_CHANGED``.

A schema that *is* a combinator (its only assertion keyword) and a plain schema are compared by what the
combinator wraps, which is what real schema evolution looks like:

* ``{..}`` -> ``{"anyOf": [{..}, {"type": "null"}]}`` (a field made nullable): ``SUM_TYPE_EXTENDED`` plus
  the changes against the alternative that accepts the old schema;
* ``{"anyOf": [A, B]}`` -> ``A``: ``SUM_TYPE_NARROWED`` naming the alternatives no longer accepted;
* a one-element combinator is transparent; an ``allOf`` whose parts cannot interact is flattened.

``not``: the inner schemas compare the other way round (``not A`` -> ``not B`` accepts more when B is
narrower than A): ``NOT_TYPE_NARROWED`` when the new inner schema excludes less, else ``NOT_TYPE_EXTENDED``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mdp.compat.keywords import ASSERTION_KEYWORDS, Path, pointer, schema_list, subschema, value_key
from mdp.compat.objects import reasons
from mdp.compat.rules import ANNOTATION_KINDS, RULES

if TYPE_CHECKING:
    from mdp.compat.diff import Differ, Finding

COMBINATORS = ("allOf", "anyOf", "oneOf")
SUMS = ("anyOf", "oneOf")


def pure(schema: Mapping[str, Any]) -> str | None:
    """The combinator keyword of a schema whose only assertion keyword is that combinator."""
    if schema.keys().isdisjoint(COMBINATORS):
        return None
    keywords = [k for k in schema if k in ASSERTION_KEYWORDS]
    return keywords[0] if len(keywords) == 1 and keywords[0] in COMBINATORS else None


def compare_wrapped(
    d: Differ, old: Mapping[str, Any], new: Mapping[str, Any], where: Path
) -> list[Finding] | None:
    """Changes when one side is a bare combinator the other side is not; ``None`` when not applicable."""
    old_kw, new_kw = pure(old), pure(new)
    if old_kw == new_kw:
        return None  # neither is a bare combinator, or both the same one: compare_keywords pairs them
    if old_kw is not None:
        parts = schema_list(old, old_kw, where) or ()
        if len(parts) == 1:
            return d.sub(parts[0], new, (old_kw, "0"), where, annotations=False)
    if new_kw is not None:
        parts = schema_list(new, new_kw, where) or ()
        if len(parts) == 1:
            return d.sub(old, parts[0], (new_kw, "0"), where, annotations=False)
    if old_kw is not None and new_kw is not None:
        return _criterion_changed(d, old, new, old_kw, new_kw, where)
    if old_kw == "allOf" and new_kw != "allOf":
        flat = d.old_doc.flattened_all_of(old, where)
        if flat is not None:
            return d.compare(flat, new, where, annotations=False)
    if new_kw == "allOf" and old_kw != "allOf":
        flat = d.new_doc.flattened_all_of(new, where)
        if flat is not None:
            return d.compare(old, flat, where, annotations=False)
    if new_kw in SUMS and new_kw not in old:
        return _into_sum(d, old, new, new_kw, where)
    if old_kw in SUMS and old_kw not in new:
        return _out_of_sum(d, old, new, old_kw, where)
    if new_kw == "allOf" and "allOf" not in old:
        return _into_product(d, old, new, where)
    if old_kw == "allOf" and "allOf" not in new:
        return _out_of_product(d, old, new, where)
    return None


def compare_keywords(d: Differ, old: Mapping[str, Any], new: Mapping[str, Any], where: Path) -> list[Finding]:
    """Combinator keywords of two schemas that are not bare combinators of different kinds."""
    found: list[Finding] = []
    for keyword in COMBINATORS:
        before = schema_list(old, keyword, where)
        after = schema_list(new, keyword, where)
        if before is not None and after is not None:
            found.extend(_same_criterion(d, keyword, before, after, where))
        elif before is not None:
            kind = "PRODUCT_TYPE_NARROWED" if keyword == "allOf" else "SUM_TYPE_EXTENDED"
            found.append(d.found(kind, (keyword,), old=before, keyword=keyword,
                                 detail=f" (the {keyword} constraint was removed)"))  # fmt: skip
        elif after is not None:
            kind = "PRODUCT_TYPE_EXTENDED" if keyword == "allOf" else "SUM_TYPE_NARROWED"
            found.append(d.found(kind, (keyword,), new=after, keyword=keyword,
                                 detail=f" (a {keyword} constraint was added)"))  # fmt: skip
    if "not" in old or "not" in new:
        found.extend(_not(d, subschema(old, "not", where), subschema(new, "not", where), where))
    return found


def _not(d: Differ, before: Any, after: Any, where: Path) -> list[Finding]:
    if before is None:
        return [d.found("NOT_TYPE_EXTENDED", ("not",), new=after, detail=" (a `not` constraint was added)")]
    if after is None:
        return [
            d.found("NOT_TYPE_NARROWED", ("not",), old=before, detail=" (the `not` constraint was removed)")
        ]
    # not A accepts everything not B accepts exactly when B is a subset of A: compare new inner -> old inner.
    inner, ok = d.reverse.trial(after, before, ("not",), where, annotations=False)
    if all(f.kind in ANNOTATION_KINDS for f in inner):
        return []
    if ok:
        return [d.found("NOT_TYPE_NARROWED", ("not",), old=before, new=after)]
    return [d.found("NOT_TYPE_EXTENDED", ("not",), old=before, new=after, detail=reasons(d, inner))]


def _criterion_changed(
    d: Differ, old: Mapping[str, Any], new: Mapping[str, Any], old_kw: str, new_kw: str, where: Path
) -> list[Finding]:
    old_parts = schema_list(old, old_kw, where) or ()
    new_parts = schema_list(new, new_kw, where) or ()
    if new_kw == "anyOf":
        found = [d.found("COMBINED_TYPE_EXTENDED", (new_kw,), old=old_kw, new=new_kw)]
        found.extend(_same_criterion(d, old_kw, old_parts, new_parts, where, new_kw))
        if d.allowed(found):
            return found
    if new_kw in SUMS:
        into = _into_sum(d, old, new, new_kw, where)
        if d.allowed(into):
            return into
    if new_kw == "anyOf":
        return found
    return [d.found("COMBINED_TYPE_CHANGED", (new_kw,), old=old_kw, new=new_kw)]


def _dedupe(parts: Sequence[Any]) -> list[tuple[int, Any]]:
    seen: set[Any] = set()
    unique: list[tuple[int, Any]] = []
    for index, part in enumerate(parts):
        key = value_key(part)
        if key not in seen:
            seen.add(key)
            unique.append((index, part))
    return unique


def _same_criterion(
    d: Differ,
    keyword: str,
    before: Sequence[Any],
    after: Sequence[Any],
    where: Path,
    new_kw: str | None = None,
) -> list[Finding]:
    new_kw = new_kw or keyword
    olds, news = _dedupe(before), _dedupe(after)
    found: list[Finding] = []
    product = keyword == "allOf"
    if len(olds) != len(news):
        grew = len(olds) < len(news)
        kind = ("PRODUCT" if product else "SUM") + ("_TYPE_EXTENDED" if grew else "_TYPE_NARROWED")
        detail = f" ({len(olds)} -> {len(news)} subschemas)"
        found.append(d.found(kind, (new_kw,), old=len(olds), new=len(news), keyword=new_kw, detail=detail))
    trials: dict[tuple[int, int], tuple[list[Finding], bool]] = {}
    for i, (_, old_part) in enumerate(olds):
        for j, (new_index, new_part) in enumerate(news):
            trials[i, j] = d.trial(old_part, new_part, (new_kw, str(new_index)), where)
    pairs = _match(len(olds), len(news), trials)
    if len(pairs) < min(len(olds), len(news)):
        found.append(d.found("COMBINED_TYPE_SUBSCHEMAS_CHANGED", (new_kw,), keyword=new_kw,
                             detail=_unmatched(d, olds, news, pairs, trials, product)))  # fmt: skip
        return found
    for i, j in sorted(pairs.items()):
        found.extend(trials[i, j][0])
    return found


def _match(
    n_old: int, n_new: int, trials: dict[tuple[int, int], tuple[list[Finding], bool]]
) -> dict[int, int]:
    """Maximum bipartite matching (Kuhn) of old to new indices over compatible trials, same index first."""
    owner: dict[int, int] = {}

    def candidates(i: int) -> list[int]:
        ok = [j for j in range(n_new) if trials[i, j][1]]
        return sorted(ok, key=lambda j: (j != i, len(trials[i, j][0])))

    def augment(i: int, visited: set[int]) -> bool:
        for j in candidates(i):
            if j in visited:
                continue
            visited.add(j)
            if j not in owner or augment(owner[j], visited):
                owner[j] = i
                return True
        return False

    for i in range(n_old):
        augment(i, set())
    return {i: j for j, i in owner.items()}


def _unmatched(
    d: Differ,
    olds: list[tuple[int, Any]],
    news: list[tuple[int, Any]],
    pairs: dict[int, int],
    trials: dict[tuple[int, int], tuple[list[Finding], bool]],
    product: bool,
) -> str:
    """Which subschemas found no partner, with the closest partner's first breaking change."""
    if product:
        taken = set(pairs.values())
        lonely = [j for j in range(len(news)) if j not in taken]
        j = lonely[0]
        closest = min(range(len(olds)), key=lambda i: _breaks(d, trials[i, j][0]))
        what, reason = f"new subschema {news[j][0]} is implied by no old one", trials[closest, j][0]
    else:
        lonely = [i for i in range(len(olds)) if i not in pairs]
        i = lonely[0]
        closest = min(range(len(news)), key=lambda j: _breaks(d, trials[i, j][0]))
        what, reason = f"old subschema {olds[i][0]} fits no new one", trials[i, closest][0]
    bad = [f for f in reason if not RULES[f.kind].allows(d.policy)]
    because = f"; closest: {bad[0].kind} at {pointer(bad[0].path)}" if bad else ""
    return f" ({what}{because})"


def _breaks(d: Differ, found: list[Finding]) -> int:
    return sum(not RULES[f.kind].allows(d.policy) for f in found)


def _into_sum(
    d: Differ, old: Mapping[str, Any], new: Mapping[str, Any], keyword: str, where: Path
) -> list[Finding]:
    """A plain old schema became (or moved into) an ``anyOf``/``oneOf``: find the alternative it fits."""
    parts = schema_list(new, keyword, where) or ()
    best: tuple[int, int, list[Finding]] | None = None
    for index, part in enumerate(parts):
        found, ok = d.trial(old, part, (keyword, str(index)), where, annotations=False)
        if ok:
            detail = f" (the {d.labels[0]} schema is alternative {index})"
            return [
                d.found("SUM_TYPE_EXTENDED", (keyword,), new=len(parts), keyword=keyword, detail=detail),
                *found,
            ]
        score = _breaks(d, found)
        if best is None or score < best[0]:
            best = (score, index, found)
    assert best is not None  # schema_list never returns an empty list
    detail = f" (no alternative accepts all the {d.labels[0]} schema did; closest is alternative {best[1]})"
    return [
        d.found("SUM_TYPE_EXTENDED", (keyword,), new=len(parts), keyword=keyword, detail=detail),
        *best[2],
    ]


def _out_of_sum(
    d: Differ, old: Mapping[str, Any], new: Mapping[str, Any], keyword: str, where: Path
) -> list[Finding]:
    """An ``anyOf``/``oneOf`` became a plain schema: every old alternative must still be accepted."""
    parts = schema_list(old, keyword, where) or ()
    results = [
        d.trial(part, new, (keyword, str(i)), where, annotations=False) for i, part in enumerate(parts)
    ]
    failing = [i for i, (_, ok) in enumerate(results) if not ok]
    kept = [f for found, ok in results if ok for f in found]
    if not failing:
        return _unique(kept)
    first = results[failing[0]][0]
    which = ", ".join(map(str, failing))
    detail = f" (alternative {which} of the {d.labels[0]} {keyword} no longer accepted{reasons(d, first)})"
    return [
        d.found("SUM_TYPE_NARROWED", (keyword,), old=len(parts), new=1, keyword=keyword, detail=detail),
        *kept,
    ]


def _into_product(d: Differ, old: Mapping[str, Any], new: Mapping[str, Any], where: Path) -> list[Finding]:
    """A plain schema became an ``allOf`` (whose parts interact): every part must accept the old schema."""
    parts = schema_list(new, "allOf", where) or ()
    results = [
        d.trial(old, part, ("allOf", str(i)), where, annotations=False) for i, part in enumerate(parts)
    ]
    found = _unique([f for trial, _ in results for f in trial])
    if all(ok for _, ok in results):
        return found
    failing = ", ".join(str(i) for i, (_, ok) in enumerate(results) if not ok)
    detail = (
        f" (subschema {failing} of the {d.labels[1]} allOf rejects values the {d.labels[0]} schema accepted)"
    )
    return [
        d.found("PRODUCT_TYPE_EXTENDED", ("allOf",), new=len(parts), keyword="allOf", detail=detail),
        *found,
    ]


def _out_of_product(d: Differ, old: Mapping[str, Any], new: Mapping[str, Any], where: Path) -> list[Finding]:
    """An ``allOf`` (whose parts interact) became a plain schema: one part alone must satisfy it."""
    parts = schema_list(old, "allOf", where) or ()
    results = [
        d.trial(part, new, ("allOf", str(i)), where, annotations=False) for i, part in enumerate(parts)
    ]
    for index, (found, ok) in enumerate(results):
        if ok:
            detail = f" (subschema {index} alone satisfies the {d.labels[1]} schema)"
            return [
                d.found("PRODUCT_TYPE_NARROWED", ("allOf",), old=len(parts), keyword="allOf", detail=detail),
                *found,
            ]
    closest = min(results, key=lambda r: _breaks(d, r[0]))[0]
    detail = f" (no {d.labels[0]} subschema alone satisfies it{reasons(d, closest)})"
    rendered = ("allOf", "a single schema")
    return [
        d.found("COMBINED_TYPE_CHANGED", ("allOf",), old="allOf", rendered=rendered, detail=detail),
        *closest,
    ]


def _unique(found: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, Path]] = set()
    out: list[Finding] = []
    for f in found:
        if (f.kind, f.path) not in seen:
            seen.add((f.kind, f.path))
            out.append(f)
    return out


__all__ = ["COMBINATORS", "SUMS", "compare_keywords", "compare_wrapped", "pure"]
