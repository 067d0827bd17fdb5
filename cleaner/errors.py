"""Errors the library raises. Only `cli.py` turns them into exit codes; messages say how to fix the problem."""

from __future__ import annotations


class CleanerError(Exception):
    """Base class: anything `cleaner` reports on purpose."""


class ConfigError(CleanerError):
    """A setting is missing, unknown or out of range (exit code 2)."""


class InputError(CleanerError):
    """An input path or record cannot be used at all (exit code 2 when nothing is usable)."""


class OutputError(CleanerError):
    """An output location cannot be written: checked before any work, so a run never fails at its end (exit 2)."""


class ExtractionError(CleanerError):
    """A document could not become an article; `reason` is the manifest's rejection reason."""

    def __init__(self, reason: str, detail: str = "", source: str | None = None) -> None:
        message = f"{reason}: {detail}" if detail else reason
        # the manifest's reason is the message without a source: the manifest line names its document already
        super().__init__(f"{source}: {message}" if source else message)
        self.reason = reason
        self.detail = detail
        self.source = source


class ExtractionStackError(CleanerError):
    """The extraction stack itself is broken: an incompatible trafilatura, a failing start-up canary, or the same
    internal error on every page. The run stops (exit code 2) instead of rejecting every page."""


class AcceleratorMismatchError(ExtractionStackError):
    """`accelerate = "verify"`: an accelerator's answer differs from trafilatura's own on a page (exit code 2)."""


class IndexMismatchError(CleanerError):
    """A persistent index was built with parameters or versions that do not match this run."""
