"""Per-token spans and confidence of a decoded answer."""

from __future__ import annotations

import pytest

from worker.engines.paligemma.tiny import build_tokenizer
from worker.engines.paligemma.tokens import decode_tokens


@pytest.fixture(scope="module")
def tokenizer():
    return build_tokenizer()


def test_multibyte_characters_are_credited_to_all_their_tokens(tokenizer) -> None:
    text = '{"a":"<loc0001>€ 5"}'
    ids = tokenizer.encode(text, add_special_tokens=False)
    probs = [0.9] * len(ids)
    euro = ids.index(tokenizer.convert_tokens_to_ids("<loc0001>")) + 1
    probs[euro + 1] = 0.2  # the middle byte of "€"
    decoded = decode_tokens(tokenizer, ids, probs)
    assert decoded.text == text
    start = text.index("€")
    assert decoded.offsets[euro] == decoded.offsets[euro + 2] == (start, start + 1)
    assert decoded.confidence([(start, start + 1)]) == 0.2
    assert decoded.confidence([(start + 1, start + 3)]) == 0.9
    assert decoded.confidence([]) == 0.0


def test_an_unfinished_character_at_the_end_is_dropped(tokenizer) -> None:
    ids = tokenizer.encode("ab€", add_special_tokens=False)[:-1]
    decoded = decode_tokens(tokenizer, ids, [1.0] * len(ids))
    assert decoded.text == "ab" and decoded.offsets[-1] == (2, 2)
