"""Small image helpers for assertions."""

from __future__ import annotations

import numpy as np
from PIL import Image


def darkest(image: Image.Image) -> int:
    """The darkest grey level in ``image`` (0 black .. 255 white)."""
    return int(np.asarray(image.convert("L")).min())
