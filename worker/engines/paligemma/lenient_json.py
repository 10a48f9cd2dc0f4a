"""A forgiving JSON reader for model answers: keeps what is certain, flags what is not.

A model's JSON may be cut at the length limit, lack a comma, carry a trailing comma or be
preceded by chatter. :func:`parse_lenient` never raises: it returns the value tree it could
read, each node with its character span (for per-field confidence) and a ``complete`` flag
(false for a string or number the answer ended inside, or a container never closed), plus the
problems it met. Interpreting the tree (which keys count, what to do with incomplete values) is
the caller's job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["object", "array", "string", "number", "literal"]
Span = tuple[int, int]
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_LITERALS = ("true", "false", "null")
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


@dataclass(frozen=True, slots=True)
class Member:
    key: str
    key_span: Span
    value: Node


@dataclass(frozen=True, slots=True)
class Node:
    """One value. ``text`` holds a string's decoded value or a number/literal as written."""

    kind: Kind
    span: Span
    complete: bool
    text: str = ""
    members: tuple[Member, ...] = ()
    items: tuple[Node, ...] = ()


@dataclass
class _Parser:
    source: str
    pos: int = 0
    problems: list[str] = field(default_factory=list)

    def at_end(self) -> bool:
        self.skip_space()
        return self.pos >= len(self.source)

    def skip_space(self) -> None:
        while self.pos < len(self.source) and self.source[self.pos] in " \t\r\n":
            self.pos += 1

    def peek(self) -> str:
        return self.source[self.pos] if self.pos < len(self.source) else ""

    def value(self) -> Node | None:
        if self.at_end():
            return None
        char = self.peek()
        readers = {"{": self.obj, "[": self.array, '"': self.string}
        if char in readers:
            return readers[char]()
        if char == "-" or char.isdigit():
            return self.number()
        if char in "tfn":
            return self.literal()
        self.problems.append(f"unexpected {char!r} at {self.pos}")
        return None

    def obj(self) -> Node:
        start = self.pos
        self.pos += 1
        members: list[Member] = []
        while not self.at_end():
            char = self.peek()
            if char == "}":
                self.pos += 1
                return Node("object", (start, self.pos), True, members=tuple(members))
            if char == ",":
                self.pos += 1
                continue
            member = self.member()
            if member is None:
                break
            members.append(member)
        return Node("object", (start, self.pos), False, members=tuple(members))

    def member(self) -> Member | None:
        if self.peek() != '"':
            self.problems.append(f"expected a key at {self.pos}")
            return None
        key = self.string()
        if not key.complete:
            return None
        if self.at_end() or self.peek() != ":":
            self.problems.append(f"expected ':' after key {key.text!r}")
            return None
        self.pos += 1
        value = self.value()
        if value is None:
            return None
        return Member(key.text, key.span, value)

    def array(self) -> Node:
        start = self.pos
        self.pos += 1
        items: list[Node] = []
        while not self.at_end():
            char = self.peek()
            if char == "]":
                self.pos += 1
                return Node("array", (start, self.pos), True, items=tuple(items))
            if char == ",":
                self.pos += 1
                continue
            item = self.value()
            if item is None:
                break
            items.append(item)
        return Node("array", (start, self.pos), False, items=tuple(items))

    def string(self) -> Node:
        start = self.pos
        self.pos += 1
        out: list[str] = []
        while self.pos < len(self.source):
            char = self.source[self.pos]
            if char == '"':
                self.pos += 1
                return Node("string", (start, self.pos), True, text="".join(out))
            if char == "\\":
                out.append(self.escape())
                continue
            out.append(char)
            self.pos += 1
        self.problems.append("answer ends inside a string")
        return Node("string", (start, self.pos), False, text="".join(out))

    def escape(self) -> str:
        code = self.source[self.pos + 1 : self.pos + 2]
        if code == "u":
            digits = self.source[self.pos + 2 : self.pos + 6]
            if re.fullmatch(r"[0-9a-fA-F]{4}", digits):
                self.pos += 6
                return chr(int(digits, 16))
        self.pos += 2
        return _ESCAPES.get(code, code)

    def number(self) -> Node | None:
        match = _NUMBER.match(self.source, self.pos)
        if match is None:
            self.problems.append(f"malformed number at {self.pos}")
            return None
        self.pos = match.end()
        complete = self.pos < len(self.source)  # a number at the very end may be cut
        return Node("number", match.span(), complete, text=match.group())

    def literal(self) -> Node | None:
        for word in _LITERALS:
            rest = self.source[self.pos : self.pos + len(word)]
            if rest == word or (word.startswith(rest) and self.pos + len(rest) == len(self.source)):
                start, self.pos = self.pos, self.pos + len(rest)
                return Node("literal", (start, self.pos), rest == word, text=word)
        self.problems.append(f"unexpected word at {self.pos}")
        return None


def parse_lenient(text: str) -> tuple[Node | None, tuple[str, ...]]:
    """The first JSON object in ``text`` (``None`` if there is none) and the problems met."""
    start = text.find("{")
    if start < 0:
        return None, ("no JSON object in the answer",)
    parser = _Parser(text, start)
    problems = [f"skipped {start} characters before the JSON"] if text[:start].strip() else []
    root = parser.obj()
    if not root.complete:
        parser.problems.append("the JSON object is not closed (answer cut?)")
    elif not parser.at_end():
        parser.problems.append("text after the JSON object ignored")
    return root, tuple(problems + parser.problems)
