"""CloudWatch Logs JSON filter patterns (`{ $.level = "ERROR" && $.amount > 100 }`), as AWS
documents them: selectors `$.a.b[0]`, `=`/`!=` on strings (with `*` wildcards) and numbers,
`<`/`>`/`<=`/`>=` on numbers, `IS TRUE`/`IS FALSE`/`IS NULL`, `NOT EXISTS`, `&&`, `||` and
parentheses. A message that is not a JSON object matches no JSON pattern.

`compile_pattern(text)` returns a predicate on a log message, or raises ValueError for a pattern
AWS would refuse.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable

Predicate = Callable[[Any], bool]

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<selector>\$(?:\.[^\s.\[\]()=!<>&|]+|\[\d+\])*)
    | (?P<op>&&|\|\||!=|<=|>=|=|<|>|\(|\))
    | (?P<string>"(?:[^"\\]|\\.)*")
    | (?P<word>[^\s()=!<>&|"]+)
    )""", re.VERBOSE)

_MISSING = object()


def is_json_pattern(text: str) -> bool:
    return text.strip().startswith("{")


def compile_pattern(text: str) -> Callable[[str], bool]:
    body = text.strip()
    if not (body.startswith("{") and body.endswith("}")):
        raise ValueError(f"JSON filter pattern must be enclosed in braces: {text!r}")
    parser = _Parser(_tokens(body[1:-1]))
    predicate = parser.expression()
    if parser.peek() is not None:
        raise ValueError(f"unexpected {parser.peek()[1]!r} in filter pattern {text!r}")

    def matches(message: str) -> bool:
        try:
            document = json.loads(message)
        except ValueError:
            return False
        return isinstance(document, dict) and predicate(document)
    return matches


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while text[position:].strip():
        match = _TOKEN.match(text, position)
        if not match:
            raise ValueError(f"cannot read filter pattern at {text[position:]!r}")
        tokens.append((match.lastgroup, match.group(match.lastgroup)))
        position = match.end()
    return tokens


class _Parser:
    """expression := term ('||' term)* ; term := atom ('&&' atom)* ;
    atom := '(' expression ')' | selector comparison"""

    def __init__(self, tokens: list[tuple[str, str]]):
        self.tokens = tokens
        self.position = 0

    def peek(self):
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, kind: str | None = None, value: str | None = None) -> str:
        token = self.peek()
        if token is None or (kind and token[0] != kind) or (value and token[1].upper() != value):
            raise ValueError(f"expected {value or kind} in filter pattern, found {token and token[1]!r}")
        self.position += 1
        return token[1]

    def at(self, value: str) -> bool:
        token = self.peek()
        return token is not None and token[1].upper() == value

    def expression(self) -> Predicate:
        return self._joined("||", self.term, any)

    def term(self) -> Predicate:
        return self._joined("&&", self.atom, all)

    def _joined(self, operator: str, part: Callable[[], Predicate], combine) -> Predicate:
        parts = [part()]
        while self.at(operator):
            self.take("op")
            parts.append(part())
        if len(parts) == 1:
            return parts[0]
        return lambda document: combine(p(document) for p in parts)

    def atom(self) -> Predicate:
        if self.at("("):
            self.take("op", "(")
            inner = self.expression()
            self.take("op", ")")
            return inner
        path = _path(self.take("selector"))
        if self.at("IS"):
            self.take("word")
            expected = {"TRUE": True, "FALSE": False, "NULL": None}.get(self.take("word").upper(), _MISSING)
            if expected is _MISSING:
                raise ValueError("IS must be followed by TRUE, FALSE or NULL")
            return lambda document: _value_at(document, path) is expected
        if self.at("NOT"):
            self.take("word")
            self.take("word", "EXISTS")
            return lambda document: _value_at(document, path) is _MISSING
        operator = self.take("op")
        if operator not in _COMPARISONS:
            raise ValueError(f"expected a comparison after a selector, found {operator!r}")
        return _comparison(path, operator, self._operand())

    def _operand(self):
        kind, text = self.peek() or (None, None)
        if kind == "string":
            self.position += 1
            return json.loads(text)
        text = self.take("word")
        try:
            return float(text)
        except ValueError:
            return text


_COMPARISONS = {
    "=": lambda a, b: a == b, "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b, ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b,
}


def _comparison(path: list, operator: str, operand) -> Predicate:
    compare = _COMPARISONS[operator]
    if isinstance(operand, float):
        def numeric(document) -> bool:
            value = _value_at(document, path)
            return _is_number(value) and compare(value, operand)
        return numeric
    if operator not in ("=", "!="):
        raise ValueError(f"{operator} compares numbers only, not {operand!r}")
    wanted = re.compile(".*".join(re.escape(part) for part in operand.split("*")), re.DOTALL)

    def textual(document) -> bool:
        value = _value_at(document, path)
        return isinstance(value, str) and (wanted.fullmatch(value) is not None) == (operator == "=")
    return textual


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _path(selector: str) -> list:
    return [int(index) if index else name
            for name, index in re.findall(r"\.([^.\[\]]+)|\[(\d+)\]", selector[1:])]


def _value_at(document, path: list):
    for step in path:
        if isinstance(step, int) and isinstance(document, list) and step < len(document):
            document = document[step]
        elif isinstance(step, str) and isinstance(document, dict) and step in document:
            document = document[step]
        else:
            return _MISSING
    return document
