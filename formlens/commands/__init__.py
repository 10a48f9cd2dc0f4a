"""Subcommands of ``formlens``; each module exports one click command or group."""
