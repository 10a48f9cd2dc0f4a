"""``python -m formlens`` is the ``formlens`` command."""

from formlens.cli import main

main()
