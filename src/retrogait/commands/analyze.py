"""Placeholder: commands of this group are being written."""

import typer


def register(app: typer.Typer) -> None:
    """Add this group's commands to ``app``."""
