"""One regular expression per segment that matches only fully valid data.

Why: checking a segment element by element costs a Python call per element; one
``fullmatch`` over the segment joined with its own element separator costs one C
call. The expression is built from the same :class:`SegmentDef` the detailed
validator reads and encodes all of its element checks: element count (trailing
empty elements tolerated, data beyond the declared elements not), mandatory
elements, lengths, characters, code lists, numbers, calendar dates and clock times,
composites, repeats and the segment syntax rules (as conditionals on capture groups,
from the truth table of :func:`~edi.x12.validate_values.rule_violation`).

It must never accept what the detailed checks reject (:mod:`edi.x12.validate_values`
holds their meaning); it may reject something they accept (non-ASCII digits in a
number, a non-printable character that is not a control character), which only
sends the set down the detailed path. Where
a construct is not modelled (a P or E rule whose first position is not its lowest,
an unknown type) the segment gets an expression that never matches. Values cannot
contain the separator they were split on, so each element is the longest run of
non-separator characters and a match never backtracks far.

Shape, chosen by measurement: one unit per element position (or per plain P pair),
``SEP value``; after the last mandatory element each unit may instead end the
segment (``\\Z``, with the rules absent elements still decide), so an absent tail
costs one test. Alternations ``(?:x|)`` are used instead of ``(?:x)?``,
which costs several times more in the regex engine.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from edi.x12.model import Delimiters
from edi.x12.schema import ElementDef, SegmentDef, SyntaxRule
from edi.x12.validate_values import rule_violation

__all__ = ["Matcher", "segment_matcher", "segment_pattern"]

Matcher = Callable[[str], "re.Match[str] | None"]

_NEVER = "(?!)"
_CONTROLS = "\\x00-\\x1f\\x7f"  # what the detailed check reports as ELEM_INVALID_CHAR
_HHMM = "(?:[01][0-9]|2[0-3])[0-5][0-9]"
_TIME_SUFFIX = {4: "", 6: "[0-5][0-9]", 7: "[0-5][0-9][0-9]", 8: "[0-5][0-9][0-9]{2}"}
_MMDD = ("(?:(?:0[13578]|1[02])(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)(?:0[1-9]|[12][0-9]|30)"
         "|02(?:0[1-9]|1[0-9]|2[0-8]))")
_LEAP_YY = "(?:0[048]|[2468][048]|[13579][26])"  # YYMMDD: 00-49 are 20xx, so 00 (2000) is a leap year
_LEAP_CCYY = f"(?:[0-9]{{2}}(?:0[48]|[2468][048]|[13579][26])|{_LEAP_YY}00)"
_DATES = {6: f"(?:[0-9]{{2}}{_MMDD}|{_LEAP_YY}0229)", 8: f"(?:[0-9]{{4}}{_MMDD}|{_LEAP_CCYY}0229)"}


def segment_matcher(sdef: SegmentDef, delimiters: Delimiters, *, text_checked: bool = False) -> Matcher:
    """``fullmatch`` of :func:`segment_pattern`, compiled."""
    return re.compile(segment_pattern(sdef, delimiters, text_checked=text_checked)).fullmatch


def segment_pattern(sdef: SegmentDef, delimiters: Delimiters, *, text_checked: bool = False) -> str:
    """The expression for ``sdef`` as ``delimiters.element.join(segment)``.

    ``text_checked``: the caller makes sure the text holds no control character
    (with ``str.isprintable``), so text classes need only exclude the separators;
    a class excluding one character is matched several times faster.
    """
    return _Builder(delimiters, "" if text_checked else _CONTROLS).segment(sdef)


class _Builder:
    """Builds the expression pieces for one set of delimiters."""

    def __init__(self, delimiters: Delimiters, controls: str) -> None:
        self.delimiters = delimiters
        self.controls = controls
        self.sep = re.escape(delimiters.element)

    def segment(self, sdef: SegmentDef) -> str:
        if any(_unmodelled(rule) for rule in sdef.rules):
            return _NEVER
        sep = self.sep
        pairs = _plain_pairs(sdef)
        rules = [rule for rule in sdef.rules if rule.positions[0] not in pairs or rule.kind != "P"]
        captured = {pos for rule in rules for pos in rule.positions if pos != max(rule.positions)}
        last_mandatory = max(sdef.mandatory_positions, default=0)
        rest = f"(?:{sep})*"  # trailing empty elements beyond the declared ones
        for unit in reversed(_units(sdef, pairs)):
            first = unit[0].position
            if len(unit) == 2:
                one, two = (self.single(el, self.delimiters.element) for el in unit)
                body = f"{sep}(?:{one}{sep}{two}|{sep}|\\Z)"  # both, neither, or the segment ends
            else:
                checks = "".join(_before_last(rule, sep) for rule in rules if max(rule.positions) == first)
                body = f"{checks}{sep}{self.element(unit[0], first in captured)}"
            ends = [_at_end(rule, first) for rule in rules if max(rule.positions) >= first]
            can_end = first > last_mandatory and _NEVER not in ends
            # the literal separator first: the engine skips that branch without a jump at the end
            rest = f"(?:{body}{rest}|\\Z{''.join(ends)})" if can_end else body + rest
        not_empty = "" if last_mandatory else f"(?!(?:{sep})*\\Z)"  # SEG_EMPTY: some element has data
        return f"{re.escape(sdef.tag)}{not_empty}{rest}"

    def element(self, el: ElementDef, capture: bool) -> str:
        """The value at one element position (after its separator): not empty when
        mandatory; captured as group ``e<position>`` if a syntax rule asks about it."""
        sep, rep = self.delimiters.element, self.delimiters.repetition
        if el.max_repeat > 1 and rep:
            one = self.single(el, sep + rep)
            value = f"(?=[^{_escape_class(sep)}])(?:{one}|)(?:{re.escape(rep)}(?:{one}|)){{0,{el.max_repeat - 1}}}"
        elif not (el.mandatory or capture or el.components):
            return self.optional(el, sep)
        else:
            value = self.single(el, sep)
        if capture:
            value = f"(?P<e{el.position}>{value})"
        return value if el.mandatory else f"(?:{value}|)"

    def optional(self, el: ElementDef, stops: str) -> str:
        """A simple element that may be empty, in its cheapest form."""
        if (el.type == "AN" or (el.type == "ID" and el.codes is None)) and el.min_len <= 1:
            return f"{self.text(stops)}{{0,{el.max_len}}}"
        return f"(?:{self.value(el, stops)}|)"

    def single(self, el: ElementDef, stops: str) -> str:
        """One occurrence (not empty) of a simple or composite element; ``stops``
        are the separators that end it."""
        if not el.components:
            return self.value(el, stops)
        if any(component.components for component in el.components):
            return _NEVER
        comp = re.escape(self.delimiters.component)
        inner = stops + self.delimiters.component
        end = f"(?![^{_escape_class(stops)}])"  # the composite ends here
        parts = [f"(?=[^{_escape_class(stops)}])"]  # not empty
        for component in el.components:
            value = self.value(component, inner) if component.mandatory else self.optional(component, inner)
            if component.position == 1:
                parts.append(value)
            elif component.mandatory:
                parts.append(f"{comp}{value}")
            else:
                parts.append(f"(?:{comp}{value}|{end})")
        parts.append(f"(?:{comp})*")  # trailing empty components
        return "".join(parts)

    def value(self, el: ElementDef, stops: str) -> str:
        """A non-empty value of a simple element or component, as its type check accepts it."""
        low, high = max(el.min_len, 1), el.max_len  # never empty: an empty value is "absent"
        kind = el.type
        if kind == "AN" or (kind == "ID" and el.codes is None):
            return f"{self.text(stops)}{{{low},{high}}}"
        if kind == "ID":
            return _alternatives(code for code in el.codes or () if code and not set(code) & set(stops))
        if kind.startswith("N") and kind[1:].isdigit():
            return f"-?[0-9]{{{low},{high}}}"
        if kind == "R":  # digits with at most one point, exponent; length counts mantissa digits only
            exponent = "(?:E-?[0-9]+|)"
            if low <= 1:  # no more than `high` digits, nor `high` + 1 digits and point
                return (f"-?(?![0-9]{{{high + 1}}})(?![0-9.]{{{high + 2}}})(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)"
                        + exponent)
            return (f"-?(?:[0-9]{{{low},{high}}}(?![0-9.])"
                    f"|(?=[0-9.]{{{low + 1},{high + 1}}}(?![0-9.]))(?:[0-9]+\\.[0-9]*|\\.[0-9]+)){exponent}")
        if kind == "DT":
            return _choice(_DATES[size] for size in (8, 6) if low <= size <= high)
        if kind == "TM":
            sizes = [size for size in (8, 7, 6, 4) if low <= size <= high]
            return f"{_HHMM}{_choice(_TIME_SUFFIX[size] for size in sizes)}" if sizes else _NEVER
        if kind == "B":
            return f"[^{_escape_class(stops)}]+"
        return _NEVER

    def text(self, stops: str) -> str:
        """One character of AN text: not a separator, and no control character."""
        return f"[^{self.controls}{_escape_class(stops)}]"


def _units(sdef: SegmentDef, pairs: set[int]) -> list[tuple[ElementDef, ...]]:
    units: list[tuple[ElementDef, ...]] = []
    elements = iter(sdef.elements)
    for el in elements:
        units.append((el, next(elements)) if el.position in pairs else (el,))
    return units


def _plain_pairs(sdef: SegmentDef) -> set[int]:
    """First positions of P rules over two adjacent optional, simple or composite,
    elements that no other rule mentions: "both or neither" needs no capture group."""
    mentions: dict[int, int] = {}
    for rule in sdef.rules:
        for pos in rule.positions:
            mentions[pos] = mentions.get(pos, 0) + 1
    pairs = set()
    for rule in sdef.rules:
        first, *rest = rule.positions
        if rule.kind == "P" and rest == [first + 1] and mentions[first] == mentions[first + 1] == 1:
            both = (sdef.elements[first - 1], sdef.elements[first])
            if not any(el.mandatory or el.max_repeat > 1 for el in both):
                pairs.add(first)
    return pairs


def _unmodelled(rule: SyntaxRule) -> bool:
    """The detailed check skips P and E rules when their first position is beyond
    the segment's end; that differs from "absent = empty" only when the first
    position is not the lowest, which the truth tables here do not model."""
    return rule.kind in "PE" and rule.positions[0] != min(rule.positions)


def _before_last(rule: SyntaxRule, sep: str) -> str:
    """A zero-width check, placed before the rule's last position: whether that
    position must hold data, must not, or may either, given the earlier ones."""
    last = max(rule.positions)

    def leaf(known: dict[int, bool]) -> str:
        present, absent = _holds(rule, {**known, last: True}), _holds(rule, {**known, last: False})
        if present and absent:
            return ""
        if present:
            return f"(?={sep}[^{sep}])"
        return f"(?!{sep}[^{sep}])" if absent else _NEVER

    return _conditional(sorted(set(rule.positions) - {last}), {}, leaf)


def _at_end(rule: SyntaxRule, position: int) -> str:
    """A zero-width check of a rule when the segment ends before ``position``."""
    def leaf(known: dict[int, bool]) -> str:
        return "" if _holds(rule, {**known, **{p: False for p in rule.positions if p >= position}}) else _NEVER

    return _conditional(sorted({p for p in rule.positions if p < position}), {}, leaf)


def _holds(rule: SyntaxRule, present: dict[int, bool]) -> bool:
    return rule_violation(rule.kind, rule.positions, tuple(present[p] for p in rule.positions)) is None


def _conditional(positions: Sequence[int], known: dict[int, bool], leaf: Callable[[dict[int, bool]], str]) -> str:
    """Nested conditionals on the capture groups of ``positions`` (present or not),
    then ``leaf`` once all of them are known; equal branches are merged."""
    if len(known) == len(positions):
        return leaf(known)
    position = positions[len(known)]
    when_present = _conditional(positions, {**known, position: True}, leaf)
    when_absent = _conditional(positions, {**known, position: False}, leaf)
    if when_present == when_absent:
        return when_present
    return f"(?(e{position}){when_present}|{when_absent})"


def _alternatives(codes: Iterable[str]) -> str:
    """A code list as a trie-shaped alternation: each branch fails on its first
    character, so a long list costs little more than a short one."""
    trie: dict[str, dict] = {}
    for code in codes:
        node = trie
        for char in code:
            node = node.setdefault(char, {})
        node[""] = {}
    return _trie(trie) if trie else _NEVER


def _trie(node: dict[str, dict]) -> str:
    branches = [re.escape(char) + _trie(child) for char, child in sorted(node.items()) if char]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
    return f"(?:{body}|)" if "" in node else body


def _choice(options: Iterable[str]) -> str:
    listed = list(options)
    return f"(?:{'|'.join(listed)})" if listed else _NEVER


def _escape_class(chars: str) -> str:
    return "".join(re.escape(char) for char in chars)
