"""What "the same source" means for a guard: a SHA-256 prefix of a trafilatura object's source text.

An accelerator reproduces or calls trafilatura code below its public API. It was written from one version of that
code; the prefix of each object's digest is recorded next to the accelerator (16 hex digits: a chance collision is
out of the question, and the tables stay readable). A release that edits any of those objects changes a digest, and
the accelerator steps aside for trafilatura's own code (`cleaner.extract.accel.guard`).
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import inspect
import re
import textwrap
from typing import Any

from lxml import etree


@functools.cache  # the guards check the same sources in every process: hash each text once
def text_digest(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


def source_text(value: Any) -> str:
    """The text a digest is taken of: an XPath's expression, a regex's pattern and flags, a function's (decorators
    unwrapped: an lru_cache'd helper) or class's dedented source, the texts of a list's items, a plain constant's
    repr. Raises OSError or TypeError when there is no such text (a repr that would show a memory address)."""
    if isinstance(value, etree.XPath):
        return value.path
    if isinstance(value, re.Pattern):
        return f"{value.pattern}\0{value.flags}"
    if isinstance(value, list | tuple):
        return "\n".join(source_text(item) for item in value)
    if isinstance(value, str | int | float | bool | type(None)):
        return repr(value)
    value = inspect.unwrap(value) if callable(value) else value
    if inspect.isfunction(value) or inspect.isclass(value):
        return textwrap.dedent(inspect.getsource(value))
    raise TypeError(f"no source text for a {type(value).__name__}")


def source_digest(value: Any) -> str:
    return text_digest(source_text(value))


def resolve(qualified_name: str) -> Any:
    """`package.module.attribute` -> the object; ImportError or AttributeError when it is not there."""
    module_name, _, attribute = qualified_name.rpartition(".")
    return getattr(importlib.import_module(module_name), attribute)


def changed_sources(expected: dict[str, str]) -> list[str]:
    """Why each of `expected` (qualified name -> digest) is not the source an accelerator was written from."""
    problems = []
    for name, digest in expected.items():
        try:
            found = source_digest(resolve(name))
        except (ImportError, AttributeError):
            problems.append(f"{name} is missing")
            continue
        except (OSError, TypeError):
            problems.append(f"{name} has no readable source")
            continue
        if found != digest:
            problems.append(f"{name} changed (source digest {found}, written from {digest})")
    return problems
