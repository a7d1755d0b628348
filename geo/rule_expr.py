"""The condition language of rule files: a tiny, safe expression language (no Python ``eval``)
over a per-community facts dict (:data:`geo.rule_facts.FACTS`):

    legal_status != "registered" and (under_pressure or in_consultation)
    clause_water != true and water_in_concession_count > 0
    neighbour_overlap_ha > 10

Grammar: ``or`` / ``and`` / ``not``; comparisons ``== != < <= > >=``; ``in`` / ``not in``
(against a ``[list]`` literal or a list fact); numbers, ``"strings"``, ``true``, ``false``,
``none``; parentheses; fact names. A fact alone is read as a truth value. Unknown values
(``none``) compare equal only to ``none`` and make every ordering comparison false, so
``clause_territory != true`` fires for "no" *and* for "not on record" (the message then
says "no consta").

Conditions are type-checked when compiled (unknown fact names, literal types and enum
values), so a typo fails when the rule file is loaded, not when a community is evaluated.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from geo.rule_facts import FACTS, FactSpec

__all__ = [
    "ColumnEvaluator",
    "Columns",
    "Condition",
    "ConditionError",
    "Evaluator",
    "Facts",
    "compile_condition",
    "parse_condition",
    "suggest",
]


class ConditionError(Exception):
    """A condition or template failed to parse or type-check (wrapped in RuleFileError)."""


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<num>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
      | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,)
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "in", "true", "false", "none"}

Facts = Mapping[str, Any]
Evaluator = Callable[[Facts], Any]
#: Facts of many communities as columns: fact name -> one value per community (row).
Columns = Mapping[str, Sequence[Any]]
#: A compiled node over columns: (columns, row count) -> one value per row.
ColumnEvaluator = Callable[[Columns, int], list[Any]]


@dataclass(frozen=True)
class _Tok:
    kind: str  # num | str | op | name | kw | end
    value: Any
    pos: int


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ConditionError(f"unexpected character {text[pos:].strip()[:1]!r} at {pos}")
        start = m.start(m.lastgroup) if m.lastgroup else pos
        if m.group("num") is not None:
            raw = m.group("num")
            value: Any = float(raw) if any(c in raw for c in ".eE") else int(raw)
            toks.append(_Tok("num", value, start))
        elif m.group("str") is not None:
            raw = m.group("str")[1:-1]
            toks.append(_Tok("str", re.sub(r"\\(.)", r"\1", raw), start))
        elif m.group("op") is not None:
            toks.append(_Tok("op", m.group("op"), start))
        else:
            word = m.group("name")
            toks.append(_Tok("kw" if word.lower() in _KEYWORDS else "name", word, start))
        pos = m.end()
    toks.append(_Tok("end", None, len(text)))
    return toks


@dataclass(frozen=True)
class _Node:
    """Typed compiled node: ``type`` is bool|number|str|date|list|none|any.

    ``fn`` evaluates it on one community's facts, ``vec`` on the facts of many as columns,
    applying the very same Python operation to every row (so both give the same answers).
    """

    fn: Evaluator
    type: str
    vec: ColumnEvaluator
    fact: str | None = None
    literal: bool = False
    value: Any = None


def _lit(value: Any, typ: str) -> _Node:
    return _Node(lambda _f: value, typ, lambda _c, n: [value] * n, literal=True, value=value)


class _Parser:
    """Recursive-descent parser compiling a condition to closures (no eval)."""

    def __init__(self, text: str, facts: Mapping[str, FactSpec]) -> None:
        self.text, self.facts = text, facts
        self.toks = _tokenize(text)
        self.i = 0
        self.used: set[str] = set()

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def is_kw(self, word: str, offset: int = 0) -> bool:
        t = self.toks[min(self.i + offset, len(self.toks) - 1)]
        return t.kind == "kw" and str(t.value).lower() == word

    def expect_op(self, op: str) -> None:
        t = self.take()
        if t.kind != "op" or t.value != op:
            raise ConditionError(f"expected {op!r} at {t.pos}, found {self._show(t)}")

    @staticmethod
    def _show(t: _Tok) -> str:
        return "end of condition" if t.kind == "end" else repr(t.value)

    def parse(self) -> _Node:
        node = self.or_()
        t = self.peek()
        if t.kind != "end":
            raise ConditionError(f"unexpected {self._show(t)} at {t.pos}")
        return node

    def or_(self) -> _Node:
        node = self.and_()
        while self.is_kw("or"):
            self.take()
            right = self.and_()
            node = _Node(_or(node.fn, right.fn), "bool", _or_vec(node.vec, right.vec))
        return node

    def and_(self) -> _Node:
        node = self.not_()
        while self.is_kw("and"):
            self.take()
            right = self.not_()
            node = _Node(_and(node.fn, right.fn), "bool", _and_vec(node.vec, right.vec))
        return node

    def not_(self) -> _Node:
        if self.is_kw("not"):
            self.take()
            inner = self.not_()
            return _Node(_not(inner.fn), "bool", _not_vec(inner.vec))
        return self.comparison()

    def comparison(self) -> _Node:
        left = self.atom()
        t = self.peek()
        if t.kind == "op" and t.value in ("==", "!=", "<", "<=", ">", ">="):
            self.take()
            right = self.atom()
            self._check_compare(left, str(t.value), right, t.pos)
            op = str(t.value)
            return _Node(_compare_fn(op, left.fn, right.fn), "bool",
                         _compare_vec(op, left.vec, right.vec))
        negate = False
        if self.is_kw("not") and self.is_kw("in", 1):
            self.take()
            negate = True
        if self.is_kw("in"):
            pos = self.take().pos
            right = self.atom()
            self._check_in(left, right, pos)
            return _Node(_in(left.fn, right.fn, negate), "bool",
                         _in_vec(left.vec, right.vec, negate))
        return left

    def atom(self) -> _Node:
        t = self.take()
        if t.kind == "num":
            return _lit(t.value, "number")
        if t.kind == "str":
            return _lit(t.value, "str")
        if t.kind == "kw":
            word = str(t.value).lower()
            if word == "true":
                return _lit(True, "bool")
            if word == "false":
                return _lit(False, "bool")
            if word == "none":
                return _lit(None, "none")
            raise ConditionError(f"unexpected keyword {t.value!r} at {t.pos}")
        if t.kind == "name":
            name = str(t.value)
            spec = self.facts.get(name)
            if spec is None:
                close = suggest(name, self.facts)
                raise ConditionError(f"unknown fact {name!r} at {t.pos}{close}")
            self.used.add(name)
            return _Node(_fact(name), spec.type, _fact_vec(name), fact=name)
        if t.kind == "op" and t.value == "(":
            node = self.or_()
            self.expect_op(")")
            return node
        if t.kind == "op" and t.value == "[":
            items: list[_Node] = []
            if not (self.peek().kind == "op" and self.peek().value == "]"):
                while True:
                    item = self.atom()
                    if not item.literal or item.type == "list":
                        raise ConditionError(f"list items must be plain literals (at {t.pos})")
                    items.append(item)
                    if self.peek().kind == "op" and self.peek().value == ",":
                        self.take()
                        continue
                    break
            self.expect_op("]")
            return _lit(tuple(item.value for item in items), "list")
        raise ConditionError(f"unexpected {self._show(t)} at {t.pos}")

    # -- load-time type checks: catch typos like "registred" before a lawyer ships them
    def _check_literal_for_fact(self, fact: str, value: Any, pos: int) -> None:
        spec = self.facts[fact]
        if value is None:
            return
        ok = {
            "bool": isinstance(value, bool),
            "number": isinstance(value, int | float) and not isinstance(value, bool),
            "str": isinstance(value, str),
            "date": False,
            "list": isinstance(value, str | int | float) and not isinstance(value, bool),
        }.get(spec.type, True)
        if not ok:
            raise ConditionError(
                f"{fact} is a {spec.type}; cannot compare with {value!r} (at {pos})"
            )
        if spec.values is not None and value not in spec.values:
            allowed = ", ".join(spec.values)
            raise ConditionError(
                f"{value!r} is not a value of {fact} (one of {allowed}) (at {pos})"
            )

    def _check_compare(self, left: _Node, op: str, right: _Node, pos: int) -> None:
        for a, b in ((left, right), (right, left)):
            if a.fact and b.literal:
                self._check_literal_for_fact(a.fact, b.value, pos)
        types = {left.type, right.type} - {"none", "any"}
        if len(types) > 1:
            raise ConditionError(f"cannot compare {left.type} with {right.type} (at {pos})")
        if op not in ("==", "!=") and (
            types & {"bool", "str", "list"} or "none" in (left.type, right.type)
        ):
            raise ConditionError(f"{op!r} needs numbers or dates (at {pos})")

    def _check_in(self, left: _Node, right: _Node, pos: int) -> None:
        if right.type != "list":
            raise ConditionError(f"'in' needs a [list] or a list fact on its right (at {pos})")
        if left.fact and right.literal:
            for v in right.value:
                self._check_literal_for_fact(left.fact, v, pos)


def suggest(name: str, facts: Mapping[str, FactSpec]) -> str:
    """`` (did you mean 'x'?)`` for the closest fact name, or nothing."""
    close = difflib.get_close_matches(name, list(facts), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _or(a: Evaluator, b: Evaluator) -> Evaluator:
    return lambda f: _truth(a(f)) or _truth(b(f))


def _and(a: Evaluator, b: Evaluator) -> Evaluator:
    return lambda f: _truth(a(f)) and _truth(b(f))


def _not(a: Evaluator) -> Evaluator:
    return lambda f: not _truth(a(f))


def _fact(name: str) -> Evaluator:
    return lambda f: f.get(name)


def _in(item: Evaluator, container: Evaluator, negate: bool) -> Evaluator:
    if negate:
        return lambda f: not _contains(container(f), item(f))
    return lambda f: _contains(container(f), item(f))


def _truth(v: Any) -> bool:
    if v is True or v is False:  # the usual case first
        return v
    if v is None:
        return False
    if isinstance(v, float) and math.isnan(v):
        return False
    return bool(v)


def _contains(container: Any, item: Any) -> bool:
    if container is None or item is None:
        return False
    return item in container


def _compare_fn(op: str, a: Evaluator, b: Evaluator) -> Evaluator:
    if op == "==":
        return lambda f: a(f) == b(f)
    if op == "!=":
        return lambda f: a(f) != b(f)
    ops: dict[str, Callable[[Any, Any], bool]] = {
        "<": lambda x, y: x < y,
        "<=": lambda x, y: x <= y,
        ">": lambda x, y: x > y,
        ">=": lambda x, y: x >= y,
    }
    cmp = ops[op]

    def run(f: Facts) -> bool:
        x, y = a(f), b(f)
        if x is None or y is None:
            return False  # unknown is never less or greater than anything
        return cmp(x, y)

    return run


# Column-wise twins of the functions above: one list comprehension per node over all rows,
# each element computed by the same scalar operation (``_truth``, ``_contains``, ``==`` ...).


def _or_vec(a: ColumnEvaluator, b: ColumnEvaluator) -> ColumnEvaluator:
    return lambda c, n: [_truth(x) or _truth(y) for x, y in zip(a(c, n), b(c, n), strict=True)]


def _and_vec(a: ColumnEvaluator, b: ColumnEvaluator) -> ColumnEvaluator:
    return lambda c, n: [_truth(x) and _truth(y) for x, y in zip(a(c, n), b(c, n), strict=True)]


def _not_vec(a: ColumnEvaluator) -> ColumnEvaluator:
    return lambda c, n: [not _truth(x) for x in a(c, n)]


def _fact_vec(name: str) -> ColumnEvaluator:
    def run(c: Columns, n: int) -> list[Any]:
        values = c.get(name)
        return [None] * n if values is None else list(values)

    return run


def _in_vec(item: ColumnEvaluator, container: ColumnEvaluator, negate: bool) -> ColumnEvaluator:
    def run(c: Columns, n: int) -> list[Any]:
        pairs = zip(container(c, n), item(c, n), strict=True)
        if negate:
            return [not _contains(k, v) for k, v in pairs]
        return [_contains(k, v) for k, v in pairs]

    return run


def _compare_vec(op: str, a: ColumnEvaluator, b: ColumnEvaluator) -> ColumnEvaluator:
    if op == "==":
        return lambda c, n: [x == y for x, y in zip(a(c, n), b(c, n), strict=True)]
    if op == "!=":
        return lambda c, n: [x != y for x, y in zip(a(c, n), b(c, n), strict=True)]
    cmp = {"<": _lt, "<=": _le, ">": _gt, ">=": _ge}[op]
    return lambda c, n: [cmp(x, y) for x, y in zip(a(c, n), b(c, n), strict=True)]


def _lt(x: Any, y: Any) -> bool:
    return x is not None and y is not None and bool(x < y)


def _le(x: Any, y: Any) -> bool:
    return x is not None and y is not None and bool(x <= y)


def _gt(x: Any, y: Any) -> bool:
    return x is not None and y is not None and bool(x > y)


def _ge(x: Any, y: Any) -> bool:
    return x is not None and y is not None and bool(x >= y)


@dataclass(frozen=True)
class Condition:
    """A compiled condition: its test (on one community's facts, or on many as columns:
    ``test_columns``), its result type and the facts it reads."""

    test: Evaluator
    type: str
    fact: str | None
    facts_used: frozenset[str]
    test_columns: Callable[[Columns, int], list[bool]] = lambda _c, n: [False] * n

    @property
    def is_test(self) -> bool:
        """True when the condition yields a truth value (a comparison or a lone fact)."""
        return self.type in ("bool", "any") or bool(self.fact)


def parse_condition(text: str, facts: Mapping[str, FactSpec]) -> Condition:
    """Compile ``text`` against ``facts`` (raises :class:`ConditionError` when invalid)."""
    parser = _Parser(text, facts)
    node = parser.parse()
    fn, vec = node.fn, node.vec
    return Condition(
        test=lambda f: _truth(fn(f)), type=node.type, fact=node.fact,
        facts_used=frozenset(parser.used),
        test_columns=lambda c, n: [_truth(v) for v in vec(c, n)],
    )


def compile_condition(text: str, facts: Mapping[str, FactSpec] | None = None) -> Evaluator:
    """Compile a condition to a function of a facts dict (raises ValueError when invalid)."""
    try:
        return parse_condition(text, facts or FACTS).test
    except ConditionError as exc:
        raise ValueError(f"condition {text!r}: {exc}") from None
