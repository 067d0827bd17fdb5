"""Errors the library raises. Only `cli.py` turns them into exit codes; messages say how to fix the problem."""

from __future__ import annotations


class CleanerError(Exception):
    """Base class: anything `cleaner` reports on purpose."""


class ConfigError(CleanerError):
    """A setting is missing, unknown or out of range (exit code 2)."""


class InputError(CleanerError):
    """An input path or record cannot be used at all (exit code 2 when nothing is usable)."""


class ExtractionError(CleanerError):
    """A document could not become an article; `reason` is the manifest's rejection reason."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class IndexMismatchError(CleanerError):
    """A persistent index was built with parameters or versions that do not match this run."""
