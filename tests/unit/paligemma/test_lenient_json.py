"""The forgiving JSON reader behind answer parsing."""

from __future__ import annotations

from worker.engines.paligemma.lenient_json import parse_lenient


def test_complete_object_with_spans() -> None:
    text = '{"a":"x\\"y","b":[1,true,null],"c":{"d":-2.5e3}}'
    root, problems = parse_lenient(text)
    assert root is not None and root.complete and problems == ()
    a, b, c = root.members
    assert a.value.text == 'x"y' and text[slice(*a.value.span)] == '"x\\"y"'
    assert [item.text for item in b.value.items] == ["1", "true", "null"]
    assert c.value.members[0].value.text == "-2.5e3"


def test_cut_string_and_number_are_marked_incomplete() -> None:
    root, problems = parse_lenient('{"a":"abc')
    assert root is not None and not root.complete and not root.members[0].value.complete
    assert problems
    root, _ = parse_lenient('{"a":12')
    assert root is not None and not root.members[0].value.complete


def test_no_object_at_all() -> None:
    assert parse_lenient("hello")[0] is None
