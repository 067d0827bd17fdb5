"""Pipeline throughput vs bare trafilatura on the same pages, and --jobs 2 vs --jobs 1, from one invocation.

    python bench/throughput.py [--data ../shared/benchdata] [--rounds 3] [--sets aeb,wcxb]

Every figure is a median over rounds; each round runs the five systems back to back (bare, ours j1, bare+meta,
ours j2, bare x2), so machine noise hits all of them alike. The baselines, one process, one core:
  bare              trafilatura.extract(html, include_comments=False): text only
  bare+meta         trafilatura.extract(html, output_format="json", with_metadata=True, include_comments=False):
                    text and metadata, which is what `cleaner run` returns
and, for the scaling from one worker to two, one process to two:
  bare x2           bare, its pages dealt over two forked processes: how far this shared 2-core machine scales
                    CPU-bound work at all (cache and memory contention, the hypervisor), the ceiling for j2/j1
Ours is the whole `cleaner.run` (read files, extract with metadata, strip clutter, site templates, cluster, write
four files and report.html) with `jobs` worker processes; at jobs=1 the parent process still lists the files,
routes the documents, prepares articles for dedup and writes beside its one worker. Everything is measured warm: a
first untimed call of each system loads trafilatura's lazily built tables, as a first page would in a long run.
The load average (1 minute) is printed before and after each set: on a shared machine, read j2/j1 with it.
A "paired" line per set gives the median of each round's own ratios (the systems of a round run back to back, so
a slow stretch of the machine hits both sides of a ratio): steadier than the ratio of medians when the load drifts.
A second line per set gives median CPU seconds (user + system, the parent and its joined workers) and the same two
ratios on CPU: what the work costs, apart from how it overlaps. At j1 the parent's routing, dedup and writing
count there too.
"""

from __future__ import annotations

import argparse
import gzip
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402

from cleaner import Config, run  # noqa: E402
from cleaner.config import RunConfig  # noqa: E402

SYSTEMS = ("bare", "ours j1", "bare+meta", "ours j2", "bare x2")


def load_pages(data: Path, name: str) -> list[bytes]:
    folder = {"aeb": data / "aeb" / "html", "wcxb": data / "wcxb-dev-articles" / "html"}[name]
    return [gzip.decompress(path.read_bytes()) for path in sorted(folder.glob("*.html.gz"))]


def bare(pages: list[bytes], with_metadata: bool) -> None:
    for page in pages:
        if with_metadata:
            trafilatura.extract(page, output_format="json", with_metadata=True, include_comments=False)
        else:
            trafilatura.extract(page, include_comments=False)


def bare_forked(pages: list[bytes], processes: int = 2) -> None:
    """`bare` text-only over `processes` forked processes, the pages dealt in turn: how far this machine scales the
    work itself when two CPU-bound processes share its cores, the ceiling to read ours j2 / j1 against."""
    children = []
    for first in range(processes):
        pid = os.fork()
        if pid == 0:  # the child: its share of the pages, then out without running the parent's cleanup
            code = 1
            try:
                bare(pages[first::processes], False)
                code = 0
            except BaseException:
                traceback.print_exc()
                sys.stderr.flush()
            finally:
                os._exit(code)
        children.append(pid)
    statuses = [os.waitpid(pid, 0)[1] for pid in children]  # every child waited for, failed or not
    if any(statuses):
        raise RuntimeError(f"a forked bare trafilatura process failed (wait statuses {statuses})")


def ours(folder: Path, jobs: int) -> None:
    with tempfile.TemporaryDirectory() as out:
        run([folder], Path(out), Config(run=RunConfig(jobs=jobs)))


def cpu_seconds() -> float:
    """User + system CPU of this process and of its children that have ended (the run joins its workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(action: Callable[[], None]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (all processes) of one call."""
    started, cpu_started = time.perf_counter(), cpu_seconds()
    action()
    return time.perf_counter() - started, cpu_seconds() - cpu_started


def write_corpus(pages: list[bytes], folder: Path) -> None:
    for index, page in enumerate(pages):
        (folder / f"{index:05d}.html").write_bytes(page)


def bench_set(name: str, pages: list[bytes], rounds: int) -> dict[str, list[tuple[float, float]]]:
    """(wall seconds, CPU seconds) per round for each system."""
    folder = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    write_corpus(pages, folder)
    actions: dict[str, Callable[[], None]] = {
        "bare": lambda: bare(pages, False),
        "ours j1": lambda: ours(folder, 1),
        "bare+meta": lambda: bare(pages, True),
        "ours j2": lambda: ours(folder, 2),
        "bare x2": lambda: bare_forked(pages),
    }
    times: dict[str, list[tuple[float, float]]] = {system: [] for system in SYSTEMS}
    try:
        bare(pages[:5], True)  # warm imports and lazily built tables outside the clock
        ours(folder, 1)
        for _ in range(rounds):
            for system in SYSTEMS:
                times[system].append(timed(actions[system]))
    finally:
        shutil.rmtree(folder)
    return times


def paired_ratios(times: dict[str, list[tuple[float, float]]]) -> dict[str, float]:
    """Throughput ratios per round (systems run back to back in a round share its machine state), then the median.

    On a shared machine the load drifts between rounds; a round's own ratio cancels the drift that the ratio of
    medians (the first line) keeps.
    """
    pairs = {"ours j1/bare": ("ours j1", "bare"), "ours j1/bare+meta": ("ours j1", "bare+meta")}
    pairs["ours j2/ours j1"] = ("ours j2", "ours j1")
    pairs["bare x2/bare"] = ("bare x2", "bare")
    return {
        name: statistics.median(
            base_wall / wall for (wall, _), (base_wall, _) in zip(times[system], times[baseline], strict=True)
        )
        for name, (system, baseline) in pairs.items()
    }


def machine() -> str:
    model = "unknown CPU"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores, {model}, Python {sys.version.split()[0]}, trafilatura {trafilatura.__version__}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "benchdata")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sets", default="aeb,wcxb")
    parser.add_argument("--verbose", action="store_true", help="print every round's seconds")
    args = parser.parse_args()
    print(f"machine: {machine()}; medians of {args.rounds} rounds; pages/s")
    print(
        f"{'set':6} {'pages':>5} {'bare':>7} {'bare+meta':>9} {'ours j1':>8} {'ours j2':>8} "
        f"{'j1/bare':>8} {'j1/b+meta':>9} {'j2/j1':>6} {'load before/after':>18}"
    )
    for name in args.sets.split(","):
        pages = load_pages(args.data, name)
        load_before = os.getloadavg()[0]
        times = bench_set(name, pages, args.rounds)
        load_after = os.getloadavg()[0]
        rate = {system: len(pages) / statistics.median(wall for wall, _ in runs) for system, runs in times.items()}
        cpu = {system: statistics.median(used for _, used in runs) for system, runs in times.items()}
        print(
            f"{name:6} {len(pages):5d} {rate['bare']:7.1f} {rate['bare+meta']:9.1f} {rate['ours j1']:8.1f} "
            f"{rate['ours j2']:8.1f} {rate['ours j1'] / rate['bare']:8.3f} {rate['ours j1'] / rate['bare+meta']:9.3f} "
            f"{rate['ours j2'] / rate['ours j1']:6.3f} {load_before:9.2f}/{load_after:.2f}",
            flush=True,
        )
        print(
            f"{'':6} cpu s  {cpu['bare']:7.2f} {cpu['bare+meta']:9.2f} {cpu['ours j1']:8.2f} {cpu['ours j2']:8.2f} "
            f"{cpu['bare'] / cpu['ours j1']:8.3f} {cpu['bare+meta'] / cpu['ours j1']:9.3f}   (CPU: bare / ours)",
            flush=True,
        )
        paired = paired_ratios(times)
        print(
            f"{'':6} paired {'':33} {paired['ours j1/bare']:8.3f} {paired['ours j1/bare+meta']:9.3f} "
            f"{paired['ours j2/ours j1']:6.3f}   (median of each round's own ratio)",
            flush=True,
        )
        scaling = rate["bare x2"] / rate["bare"]
        print(
            f"{'':6} scaling: bare over 2 processes / bare {scaling:.3f} (paired {paired['bare x2/bare']:.3f}), what "
            f"this machine gives the work itself; ours j2/j1 is {rate['ours j2'] / rate['ours j1'] / scaling:.3f} of "
            f"it (paired {paired['ours j2/ours j1'] / paired['bare x2/bare']:.3f})",
            flush=True,
        )
        if args.verbose:
            for system in SYSTEMS:
                walls = " ".join(f"{wall:6.2f}s" for wall, _ in times[system])
                cpus = " ".join(f"{used:6.2f}s" for _, used in times[system])
                print(f"    {system:9} wall {walls}   cpu {cpus}", flush=True)


if __name__ == "__main__":
    main()
