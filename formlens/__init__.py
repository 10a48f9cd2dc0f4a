"""FormLens entry points: the ``formlens`` command line and the process launchers.

This package stands on top of everything (kernel, models, worker, web); nothing imports it.
"""
