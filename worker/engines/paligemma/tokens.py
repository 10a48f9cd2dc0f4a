"""Generated tokens to text with each token's character span, for per-field confidence.

A token does not always decode to whole characters (a byte-level or byte-fallback piece may
hold half of ``é``), so tokens are decoded incrementally the way streaming servers do: decode
a small window, emit the new characters only once they are complete, and credit them to every
token read since the last emission. Concatenating the emissions gives the answer's text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

Span = tuple[int, int]
_REPLACEMENT = "\ufffd"


class Decoder(Protocol):
    def decode(
        self,
        token_ids: list[int],
        skip_special_tokens: bool = ...,
        clean_up_tokenization_spaces: bool | None = ...,
    ) -> str: ...


@dataclass(frozen=True)
class DecodedText:
    """An answer's text; ``offsets[i]`` is the span token ``i`` produced, ``probs[i]`` its
    probability when it was chosen."""

    text: str
    offsets: tuple[Span, ...]
    probs: tuple[float, ...]

    def confidence(self, spans: Sequence[Span]) -> float:
        """The least probable token among those that wrote any of ``spans`` (0 if none did).

        The minimum flags one doubtful character in a long value, where a product would
        mostly measure the value's length.
        """
        chosen = [
            prob
            for (start, end), prob in zip(self.offsets, self.probs, strict=True)
            if end > start and any(start < s_end and s_start < end for s_start, s_end in spans)
        ]
        return min(chosen, default=0.0)


def decode_tokens(decoder: Decoder, ids: Sequence[int], probs: Sequence[float]) -> DecodedText:
    """``ids`` (without the final ``<eos>``) as text with per-token spans."""
    parts: list[str] = []
    offsets: list[Span] = []
    length = prefix = read = 0
    for index in range(len(ids)):
        before = _decode(decoder, ids[prefix:read])
        after = _decode(decoder, ids[prefix : index + 1])
        if len(after) > len(before) and not after.endswith(_REPLACEMENT):
            delta = after[len(before) :]
            offsets.extend([(length, length + len(delta))] * (index + 1 - len(offsets)))
            parts.append(delta)
            length += len(delta)
            prefix, read = read, index + 1
    offsets.extend([(length, length)] * (len(ids) - len(offsets)))  # an unfinished character
    return DecodedText("".join(parts), tuple(offsets), tuple(probs))


def _decode(decoder: Decoder, ids: Sequence[int]) -> str:
    if not ids:
        return ""
    return decoder.decode(list(ids), skip_special_tokens=False, clean_up_tokenization_spaces=False)
