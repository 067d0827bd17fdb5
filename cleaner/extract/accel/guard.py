"""When each accelerator may stand in for trafilatura's own code, and why one does not.

An accelerator is used (`accelerate = "auto"` or `"verify"`) only when both hold:
- the trafilatura that is imported reports a version in TESTED_RANGE (pyproject pins the same range; CI runs the
  suite and the equivalence test over every benchmark page on it);
- every trafilatura function, class, XPath and pattern the accelerator reproduces or calls has the source digest
  it was written from (`cleaner.extract.accel.digests`). The pruning XPaths and readability methods are checked one
  by one (`cleaner.extract.accel.pruning`); the metadata walk and the direct cascade call by the tables below.

Otherwise the accelerator steps aside, trafilatura's public API does that work (same text, slower), and the process
logs one warning that says which accelerators are off and why. Nothing here changes an output.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cleaner.config import ExtractConfig
from cleaner.extract.accel.digests import changed_sources
from cleaner.extract.accel.pruning import method_replacements, replacements

log = logging.getLogger(__name__)

# The releases the accelerators were checked on (the suite, and tests/test_accel_equivalence.py on the 974 AEB and
# WCXB dev pages); pyproject.toml pins trafilatura to the same range.
TESTED_FROM, TESTED_BELOW = (2, 3, 1), (2, 4)
TESTED_RANGE = ">=2.3.1,<2.4"
ACCELERATORS = ("pruning", "readability", "metadata", "cascade")

# cleaner.extract.accel.metadata: what the walk reproduces (extract_metadata's order of steps, the author, category,
# tag and license searches, their XPaths, the pruning and deletion they do) and every name it calls
METADATA_SOURCES = {
    "trafilatura.metadata.extract_metadata": "40ba8cda7a32c71a",
    "trafilatura.metadata.extract_author": "e356580cb8515cbb",
    "trafilatura.metadata.extract_metainfo": "a93943e7782f221a",
    "trafilatura.metadata.extract_catstags": "3f8fb883298aab2e",
    "trafilatura.metadata.extract_license": "325f32c77557da67",
    "trafilatura.metadata.parse_license_element": "090ef37ce878b1d7",
    "trafilatura.metadata.LICENSE_REGEX": "ad80abb3b8f06b26",
    "trafilatura.metadata.TEXT_LICENSE_REGEX": "ae7ccc515167bfff",
    "trafilatura.metadata.META_URL": "52c97075d1c64457",
    "trafilatura.metadata.examine_meta": "c9ce5fa107b6421a",
    "trafilatura.metadata.extract_meta_json": "f4232983df26bffd",
    "trafilatura.metadata.extract_sitename": "bbc07fcdd64e179d",
    "trafilatura.metadata.extract_title": "50043133253f1b25",
    "trafilatura.metadata.extract_url": "26f115a8e75aedf1",
    "trafilatura.xpaths.AUTHOR_XPATHS": "e7cdb233823cbb0a",
    "trafilatura.xpaths.AUTHOR_DISCARD_XPATHS": "bb846852c0255db3",
    "trafilatura.xpaths.CATEGORIES_XPATHS": "3e362c1075d0fcda",
    "trafilatura.xpaths.TAGS_XPATHS": "7b854e2236a1be42",
    "trafilatura.htmlprocessing.prune_unwanted_nodes": "4731f8e24ef86449",
    "trafilatura.xml.delete_element": "76e448c154eb43ba",
    "trafilatura.baseline.block_text": "bcc3333c4b0426b0",
    "trafilatura.json_metadata.normalize_authors": "161277b6eb736d12",
    "trafilatura.settings.Document": "b547b7d90aeaecb2",
    "trafilatura.settings.set_date_params": "c7eff568718d2290",
    "trafilatura.settings.use_config": "151f4f085a05e5f8",
    "trafilatura.utils.line_processing": "8ec593c93ef9e685",
    "trafilatura.utils.trim": "b82ffd884c0dc230",
}
# cleaner.extract.accel.cascade: the internal cascade it calls and the 4-tuple it unpacks, bare_extraction's checks
# after the cascade that it repeats, the options and text output it builds, and every function that receives the
# raw tree (raw_tree_kept relies on them changing it only through the raw-tree prunes)
CASCADE_SOURCES = {
    "trafilatura.core.trafilatura_sequence": "f03dc4d2946dacbd",
    "trafilatura.core.bare_extraction": "2e57adb3062086f9",
    "trafilatura.core._forum_thread_page": "e7f7cef99b33704f",
    "trafilatura.core._prepare_tree": "9595f0642825c2c7",
    "trafilatura.core._extract_and_compare": "f7d056c2118222e8",
    "trafilatura.core._recall_retry": "59594c39714f57be",
    "trafilatura.baseline.baseline": "4a4215f815e62745",
    "trafilatura.baseline.html2txt": "a8c97eab2097c57d",
    "trafilatura.htmlprocessing.prune_unwanted_nodes": "4731f8e24ef86449",
    "trafilatura.settings.Extractor": "cbdae22e0defe6d9",
    "trafilatura.xml.xmltotxt": "61e912d41ea49c05",
}
_RELEASE = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether one accelerator may run in this process, and why (or why not)."""

    active: bool
    reason: str


def trafilatura_version() -> str:
    """The version the imported trafilatura reports (what runs, even when PYTHONPATH shadows the installed one)."""
    import trafilatura

    return str(getattr(trafilatura, "__version__", "unknown"))


def in_tested_range(version: str) -> bool:
    """A plain release inside TESTED_RANGE; a pre-release, dev or local build is not a tested version."""
    match = _RELEASE.fullmatch(version)
    if match is None:
        return False
    release = tuple(int(part) for part in match.groups(default="0"))
    return TESTED_FROM <= release < TESTED_BELOW


def _stand_in_verdict(kind: str, count: Callable[[], tuple[int, int]]) -> Verdict:
    """pruning / readability: stand-ins checked one by one; active when at least one applies."""
    try:
        matching, known = count()
    except Exception as exc:  # building the stand-ins reads trafilatura's tables: a renamed one must not escape
        return Verdict(False, f"cannot build the {kind} stand-ins: {type(exc).__name__}: {exc}")
    if matching == 0:
        return Verdict(False, f"none of the {known} {kind} sources it was written from is in this trafilatura")
    changed = f"; the other {known - matching} changed and keep trafilatura's own code" if matching < known else ""
    return Verdict(True, f"{matching} of {known} {kind} stand-ins match their trafilatura source{changed}")


def _xpath_counts() -> tuple[int, int]:
    from cleaner.extract.accel.pruning import STAND_IN_COUNT

    return len(list(replacements())), STAND_IN_COUNT


def _method_counts() -> tuple[int, int]:
    from cleaner.extract.accel.pruning import METHOD_COUNT

    return len(list(method_replacements())), METHOD_COUNT


def _sources_verdict(expected: dict[str, str], importable: Callable[[], Any] | None = None) -> Verdict:
    problems = changed_sources(expected)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return Verdict(False, f"{problems[0]}{more}")
    if importable is not None:
        try:
            importable()
        except ImportError as exc:
            return Verdict(False, f"cannot import it: {exc}")
    return Verdict(True, f"all {len(expected)} trafilatura sources it reproduces or calls match")


def _import_metadata_walk() -> Any:
    import cleaner.extract.accel.metadata as walk

    return walk


@functools.cache  # once per process: forked workers inherit the parent's verdicts (and its one warning)
def verdicts() -> dict[str, Verdict]:
    """Each accelerator's verdict under `accelerate = "auto"` in this process."""
    version = trafilatura_version()
    if not in_tested_range(version):
        outside = Verdict(False, f"trafilatura {version} is outside the tested range {TESTED_RANGE}")
        found = dict.fromkeys(ACCELERATORS, outside)
    else:
        found = {
            "pruning": _stand_in_verdict("XPath", _xpath_counts),
            "readability": _stand_in_verdict("readability method", _method_counts),
            "metadata": _sources_verdict(METADATA_SOURCES, _import_metadata_walk),
            "cascade": _sources_verdict(CASCADE_SOURCES),
        }
    _warn_once(version, found)
    return found


def _warn_once(version: str, found: dict[str, Verdict]) -> None:
    by_reason: dict[str, list[str]] = {}
    for name, verdict in found.items():
        if not verdict.active:
            by_reason.setdefault(verdict.reason, []).append(name)
    if not by_reason:
        return
    why = "; ".join(f"{', '.join(names)}: {reason}" for reason, names in by_reason.items())
    log.warning(
        "trafilatura %s: accelerators off where their guard fails (%s); trafilatura's public API does that work "
        "instead: same output, slower",
        version,
        why,
    )


def reset() -> None:
    """Forget the verdicts (tests that change trafilatura, then restore it)."""
    verdicts.cache_clear()


def active(name: str, config: ExtractConfig) -> bool:
    """Whether accelerator `name` runs for this config: never with `accelerate = "off"`, else its guard decides."""
    return config.accelerate != "off" and verdicts()[name].active


def accelerator_status(config: ExtractConfig) -> dict[str, Any]:
    """For the run record: the mode, trafilatura's version, the tested range, and each accelerator's state and why."""
    version = trafilatura_version()
    status: dict[str, dict[str, Any]] = {}
    for name in ACCELERATORS:
        if config.accelerate == "off":
            status[name] = {"active": False, "reason": "accelerate = off: trafilatura's public API only"}
            continue
        verdict = verdicts()[name]
        checked = " (each answer checked against trafilatura's own)" if config.accelerate == "verify" else ""
        status[name] = {"active": verdict.active, "reason": verdict.reason + (checked if verdict.active else "")}
    return {
        "mode": config.accelerate,
        "trafilatura": version,
        "tested_range": TESTED_RANGE,
        "in_tested_range": in_tested_range(version),
        "accelerators": status,
    }
