"""OUT/run.json: what a run was: its command, engine, the full configuration it used, the versions of everything
that decides its results, its counts and timings. `explain` and the report read it, so that a decision is
recomputed with the settings that made it, not with whatever configuration is at hand later.

Unlike the contract files, run.json holds timings, so it differs from one run to the next; everything else in it
is determined by the inputs and the settings.
"""

from __future__ import annotations

import json
import platform
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from cleaner.config import Config, config_from_mapping, config_to_mapping
from cleaner.errors import InputError
from cleaner.io.writers import atomic_path
from cleaner.models import RunReport
from cleaner.outputs.records import SCHEMA_VERSION

RUN_INFO_NAME = "run.json"
# the packages whose versions can change a run's results
VERSIONED = ("cleaner", "trafilatura", "lxml", "htmldate", "courlan", "datasketch", "numpy", "xxhash")


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    return versions


@dataclass(slots=True)
class RunInfo:
    command: str  # run | dedup
    engine: str  # local | dask
    config: dict[str, dict[str, Any]]  # every setting, as config_to_mapping spells it
    counts: dict[str, Any]  # the run's RunReport (documents, kept, duplicates, rejected, clusters, ...)
    seconds: float
    versions: dict[str, str] = field(default_factory=package_versions)
    accelerators: dict[str, Any] = field(default_factory=dict)  # which trafilatura accelerators were active
    index: dict[str, Any] | None = None  # with --index: the folder and the generation the run committed
    schema_version: int = SCHEMA_VERSION

    @classmethod
    def of(
        cls,
        command: str,
        engine: str,
        config: Config,
        report: RunReport,
        accelerators: dict[str, Any] | None = None,
        index: dict[str, Any] | None = None,
    ) -> RunInfo:
        counts = {key: value for key, value in report.to_dict().items() if key not in ("outputs", "seconds")}
        versions = package_versions()
        if accelerators and accelerators.get("trafilatura"):
            # the trafilatura this process imported, which is not always the one installed (PYTHONPATH)
            versions["trafilatura"] = str(accelerators["trafilatura"])
        config_mapping = config_to_mapping(config)
        return cls(command, engine, config_mapping, counts, report.seconds, versions, accelerators or {}, index)

    def run_config(self) -> Config:
        return config_from_mapping(self.config, RUN_INFO_NAME)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def write_run_info(out_dir: Path, info: RunInfo) -> Path:
    path = out_dir / RUN_INFO_NAME
    with atomic_path(path) as temporary:
        temporary.write_text(json.dumps(info.to_dict(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def read_run_info(out_dir: Path) -> RunInfo | None:
    """The run record of an output folder, or None for a folder written before run.json existed."""
    path = out_dir / RUN_INFO_NAME
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        info = RunInfo(**data)
        info.run_config()  # settings this version does not know are an error here, not a surprise later
    except (OSError, ValueError, TypeError) as exc:
        raise InputError(f"{path} cannot be read ({exc}): rerun the command that made {out_dir}") from exc
    return info
