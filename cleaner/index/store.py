"""The index on disk: immutable segments of raw arrays, generations that list them, and a CURRENT pointer.

    DIR/CURRENT          the name of the current generation file; replaced atomically (the commit point)
    DIR/LOCK             flock: one writer at a time
    DIR/gen-NNNNNN.json  a generation: identity, run log, counts, and the segments in force, with the dtype, offset,
                         length and sha256 of every array
    DIR/seg-NNNNNN-K.bin a segment written by generation NNNNNN: raw little-endian arrays end to end (64-byte
                         aligned), one file so that it costs one fsync and is one object on remote storage

A file is never changed once written. A run writes its segment (and, when it compacts, the merged one) under a
staging name, renames it, writes the next generation file, then replaces CURRENT: a run killed at any point leaves
the previous generation in force, and the next run removes what the killed one left. Only plain files and renames
are used, so that the layout also works on shared storage; readers need no lock (the files a generation names stay
until two commits later).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import mmap
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cleaner.errors import IndexMismatchError, InputError

CURRENT = "CURRENT"
LOCK = "LOCK"
_GENERATION = re.compile(r"gen-(\d{6})\.json")
_SEGMENT = re.compile(r"seg-(\d{6})-\d+\.bin")
_ALIGN = 64
# Scattered reads closer than this are read as one block: one system call instead of several (the kernel reads
# whole pages anyway).
_GAP = 1 << 14
_OLD_GENERATION = re.compile(r"gen-\d{6}")  # format 1 kept a whole generation in one folder

# Called with a label before every step that changes the disk; tests stop the process there to prove that a run
# killed at any point leaves a usable index.
step_hook: Callable[[str], None] | None = None


def _step(label: str) -> None:
    if step_hook is not None:
        step_hook(label)


@dataclass(frozen=True, slots=True)
class ArrayFile:
    """One stored array: its dtype (numpy string, little-endian), byte offset in the segment's file, number of items
    and sha256 of its bytes."""

    dtype: str
    offset: int
    length: int
    sha256: str

    @property
    def nbytes(self) -> int:
        return self.length * np.dtype(self.dtype).itemsize

    def to_dict(self) -> dict[str, Any]:
        return {"dtype": self.dtype, "offset": self.offset, "length": self.length, "sha256": self.sha256}

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> ArrayFile:
        return cls(str(row["dtype"]), int(row["offset"]), int(row["length"]), str(row["sha256"]))


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    """What a generation records of a segment: documents [first_doc, first_doc + docs), the runs it holds."""

    name: str
    first_doc: int
    docs: int
    runs: tuple[int, int]  # first and last run whose documents or records it holds
    heavy_min: int  # a shingle counted at least this often in the segment is listed in its heavy table
    files: dict[str, ArrayFile]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "first_doc": self.first_doc,
            "docs": self.docs,
            "runs": list(self.runs),
            "heavy_min": self.heavy_min,
            "files": {name: f.to_dict() for name, f in sorted(self.files.items())},
        }

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> SegmentInfo:
        files = {name: ArrayFile.from_dict(f) for name, f in row["files"].items()}
        first, last = row["runs"]
        return cls(row["name"], int(row["first_doc"]), int(row["docs"]), (first, last), int(row["heavy_min"]), files)

    @property
    def file_name(self) -> str:
        return f"{self.name}.bin"

    @property
    def bytes(self) -> int:
        return max((f.offset + f.nbytes for f in self.files.values()), default=0)


@dataclass(slots=True)
class Generation:
    """The index as one commit left it: the segments in force, oldest first, and the counts and run log."""

    number: int
    identity: dict[str, Any]
    created: dict[str, Any]
    documents: int
    events: int
    runs: list[dict[str, Any]] = field(default_factory=list)
    segments: list[SegmentInfo] = field(default_factory=list)

    @property
    def file_name(self) -> str:
        return f"gen-{self.number:06d}.json"

    def to_dict(self) -> dict[str, Any]:
        return {
            "generation": self.number,
            "identity": self.identity,
            "created": self.created,
            "documents": self.documents,
            "events": self.events,
            "runs": self.runs,
            "segments": [s.to_dict() for s in self.segments],
        }

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> Generation:
        segments = [SegmentInfo.from_dict(s) for s in row["segments"]]
        return cls(
            int(row["generation"]),
            row["identity"],
            row["created"],
            int(row["documents"]),
            int(row["events"]),
            list(row["runs"]),
            segments,
        )


class Segment:
    """Read access to one segment's arrays, two ways. Scattered items (rows, records, postings) are read with
    positioned reads (`items`, `take`): a memory map would put the whole large folio around every item read into
    the process (up to 2 MB each on current kernels). Sorted tables are binary-searched through views of one
    read-only memory map (`window`), handed back after each window (`release`) so that a scan of a large index
    does not grow the process."""

    def __init__(self, path: Path, info: SegmentInfo) -> None:
        self.path = path
        self.info = info
        self._map: mmap.mmap | None = None

    def __len__(self) -> int:
        return self.info.docs

    @property
    def first_doc(self) -> int:
        return self.info.first_doc

    def length(self, name: str) -> int:
        return self.info.files[name].length

    def _mapped(self) -> mmap.mmap:
        if self._map is None:
            with open(self.path, "rb") as handle:
                self._map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        return self._map

    def array(self, name: str) -> np.ndarray:
        """The whole array, as a read-only view of the mapped file."""
        return self.window(name, 0, self.length(name))

    def window(self, name: str, lo: int, hi: int) -> np.ndarray:
        """Items [lo, hi) of an array, as a read-only view of the mapped file."""
        meta = self.info.files[name]
        dtype = np.dtype(meta.dtype)
        if hi <= lo:
            return np.zeros(0, dtype=dtype)
        return np.frombuffer(self._mapped(), dtype=dtype, count=hi - lo, offset=meta.offset + lo * dtype.itemsize)

    def release(self, name: str, lo: int, hi: int) -> None:
        """Drop the pages of items [lo, hi) from this process (the file stays in the page cache)."""
        if self._map is None or hi <= lo:
            return
        meta = self.info.files[name]
        size = np.dtype(meta.dtype).itemsize
        start = (meta.offset + lo * size) // mmap.PAGESIZE * mmap.PAGESIZE
        end = meta.offset + hi * size
        with contextlib.suppress(OSError, ValueError, AttributeError):  # advice only: not every platform has it
            self._map.madvise(mmap.MADV_DONTNEED, start, end - start)

    def release_all(self) -> None:
        """Drop every page of the segment from this process (the file stays in the page cache)."""
        if self._map is not None:
            with contextlib.suppress(OSError, ValueError, AttributeError):
                self._map.madvise(mmap.MADV_DONTNEED)

    def items(self, name: str, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """The items of ranges [starts[i], ends[i]) of an array, concatenated in that order (positioned reads of
        the ranges, neighbours closer than _GAP bytes read as one)."""
        meta = self.info.files[name]
        dtype = np.dtype(meta.dtype)
        starts, ends = np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64)
        sizes = np.maximum(ends - starts, 0)
        if sizes.sum() == 0:
            return np.zeros(0, dtype=dtype)
        keep = sizes > 0
        lo, hi = starts[keep], starts[keep] + sizes[keep]
        order = np.argsort(lo, kind="stable")
        block_of, block_lo, block_hi = _blocks(lo[order], hi[order], max(1, _GAP // dtype.itemsize))
        data = self._read_blocks(meta.offset, dtype, block_lo, block_hi)
        base = np.concatenate([[0], np.cumsum(block_hi - block_lo)[:-1]]).astype(np.int64)
        first = np.empty(len(lo), dtype=np.int64)
        first[order] = base[block_of] + lo[order] - block_lo[block_of]
        in_data = np.repeat(first - np.cumsum(np.concatenate([[0], sizes[keep][:-1]])), sizes[keep])
        return data[in_data + np.arange(int(sizes.sum()), dtype=np.int64)]

    def gather(self, name: str, positions: np.ndarray, lo: int, hi: int) -> np.ndarray:
        """Items at `positions` (all in [lo, hi)) through the memory map, the range handed back afterwards: for
        hits dense enough in a range that mapping it costs less than reading each."""
        values = np.array(self.window(name, lo, hi)[np.asarray(positions, dtype=np.int64) - lo])
        self.release(name, lo, hi)
        return values

    def take(self, name: str, positions: np.ndarray) -> np.ndarray:
        """Items at `positions` of an array (positioned reads)."""
        positions = np.asarray(positions, dtype=np.int64)
        return self.items(name, positions, positions + 1)

    def _read_blocks(self, offset: int, dtype: np.dtype, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        size = dtype.itemsize
        with open(self.path, "rb") as handle:
            fd = handle.fileno()
            pieces = [
                os.pread(fd, (b - a) * size, offset + a * size) for a, b in zip(lo.tolist(), hi.tolist(), strict=True)
            ]
        return np.frombuffer(b"".join(pieces), dtype=dtype)

    def load(self, name: str) -> np.ndarray:
        """The whole array as a copy in memory (for small arrays read whole)."""
        meta = self.info.files[name]
        return np.fromfile(self.path, dtype=np.dtype(meta.dtype), count=meta.length, offset=meta.offset)

    def check_size(self) -> None:
        if not self.path.is_file() or self.path.stat().st_size < self.info.bytes:
            raise InputError(f"{self.path} is missing or shorter than recorded: the index is damaged")

    def verify(self) -> None:
        """Check every array against its recorded sha256 (reads the whole segment)."""
        self.check_size()
        with open(self.path, "rb") as handle:
            for name, meta in sorted(self.info.files.items(), key=lambda item: item[1].offset):
                handle.seek(meta.offset)
                digest = hashlib.sha256()
                left = meta.nbytes
                while left > 0:
                    chunk = handle.read(min(left, 1 << 22))
                    digest.update(chunk)
                    left -= len(chunk)
                if digest.hexdigest() != meta.sha256:
                    raise InputError(f"{self.path}: array {name} does not match its checksum: the index is damaged")

    def close(self) -> None:
        self._map = None  # unmapped once no view of it is left


class Store:
    """The folder of an index: reading the current generation, writing segments and committing generations."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def current(self) -> Generation | None:
        """The committed generation, or None for an absent or empty folder (refusing a folder that is not an index)."""
        pointer = self.path / CURRENT
        if not pointer.exists():
            if self.path.exists() and any(not _own_file(p) for p in self.path.iterdir()):
                raise InputError(f"{self.path} is not a cleaner index (no {CURRENT} file): give an empty or new folder")
            return None
        name = pointer.read_text(encoding="utf-8").strip()
        if _OLD_GENERATION.fullmatch(name):
            raise IndexMismatchError(
                f"{self.path} is an index of format 1 (one folder per generation), this cleaner reads format 2: "
                "rebuild it by rerunning over the corpus with a new --index folder"
            )
        file = self.path / name
        if not _GENERATION.fullmatch(name) or not file.is_file():
            raise InputError(f"{pointer} names {name!r}, which is not a generation file: the index is damaged")
        try:
            return Generation.from_dict(json.loads(file.read_text(encoding="utf-8")))
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{file} cannot be read ({exc}): the index is damaged") from exc

    def segment(self, info: SegmentInfo) -> Segment:
        return Segment(self.path / info.file_name, info)

    def write_segment(
        self, generation: int, k: int, arrays: dict[str, np.ndarray], meta: dict[str, Any]
    ) -> SegmentInfo:
        """Write `arrays` as segment `seg-GENERATION-K` (staged, each file fsynced, then renamed into place)."""
        with self.segment_writer(generation, k) as writer:
            for name, array in sorted(arrays.items()):
                writer.add(name, array)
            return writer.finish(meta)

    def segment_writer(self, generation: int, k: int) -> SegmentWriter:
        self.path.mkdir(parents=True, exist_ok=True)
        return SegmentWriter(self.path, f"seg-{generation:06d}-{k}")

    def commit(self, generation: Generation) -> None:
        """Write the generation file, then switch CURRENT to it (atomic); then remove what no reader needs."""
        previous = self.current()
        text = json.dumps(generation.to_dict(), indent=1, sort_keys=True, ensure_ascii=False) + "\n"
        file = self.path / generation.file_name
        _write_text(file, text)
        _fsync(self.path)
        pointer = self.path / f".{CURRENT}.tmp"
        _write_text(pointer, generation.file_name + "\n")
        _step("replace CURRENT")
        os.replace(pointer, self.path / CURRENT)  # the commit point
        _fsync(self.path)
        self.collect_garbage(generation, previous)

    def collect_garbage(self, current: Generation, previous: Generation | None) -> None:
        """Remove generations and segments neither `current` nor `previous` names, and staging leftovers."""
        keep = {current.file_name, *(s.file_name for s in current.segments)}
        if previous is not None:
            keep |= {previous.file_name, *(s.file_name for s in previous.segments)}
        for child in sorted(self.path.iterdir()):
            stale_generation = _GENERATION.fullmatch(child.name) and child.name not in keep
            stale_segment = _SEGMENT.fullmatch(child.name) and child.name not in keep
            if stale_generation or stale_segment or child.name.startswith(".staging-"):
                _step(f"remove {child.name}")
                if child.is_dir():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)


class SegmentWriter:
    """Writes one segment file: whole arrays go straight to the end of it; arrays streamed in pieces are gathered in
    side files and copied in by `finish`, which fsyncs once and renames the file into place. Leaving the block
    without `finish` (an error) removes everything it wrote."""

    def __init__(self, root: Path, name: str) -> None:
        self.root, self.name = root, name
        self.staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=root))
        self.data = open(self.staging / "data", "wb")  # noqa: SIM115 - closed in finish or __exit__
        self.files: dict[str, ArrayFile] = {}
        self._streams: dict[str, tuple[Any, Any, np.dtype, int]] = {}  # name -> (handle, sha256, dtype, items)

    def __enter__(self) -> SegmentWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.data.close()
        for handle, *_ in self._streams.values():
            handle.close()
        shutil.rmtree(self.staging, ignore_errors=True)  # empty already once finished

    def add(self, name: str, array: np.ndarray) -> None:
        data = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).reshape(-1)
        raw = data.view(np.uint8)
        offset = self._align()
        _step(f"write {self.name}:{name}")
        self.data.write(raw.data)
        self.files[name] = ArrayFile(data.dtype.str, offset, int(data.size), hashlib.sha256(raw.data).hexdigest())

    def append(self, name: str, piece: np.ndarray) -> None:
        """Add `piece` at the end of array `name` (the first piece sets its dtype)."""
        if name not in self._streams:
            dtype = np.dtype(piece.dtype).newbyteorder("<")
            handle = open(self.staging / f"{len(self._streams)}.part", "w+b")  # noqa: SIM115 - closed in finish
            self._streams[name] = (handle, hashlib.sha256(), dtype, 0)
        handle, digest, dtype, items = self._streams[name]
        raw = np.ascontiguousarray(piece, dtype=dtype).reshape(-1).view(np.uint8)
        handle.write(raw.data)
        digest.update(raw.data)
        self._streams[name] = (handle, digest, dtype, items + len(piece))

    def _align(self) -> int:
        position = self.data.tell()
        padding = -position % _ALIGN
        self.data.write(b"\0" * padding)
        return position + padding

    def finish(self, meta: dict[str, Any]) -> SegmentInfo:
        for name, (handle, digest, dtype, items) in sorted(self._streams.items()):
            offset = self._align()
            _step(f"write {self.name}:{name}")
            handle.seek(0)
            shutil.copyfileobj(handle, self.data, 1 << 22)
            handle.close()
            self.files[name] = ArrayFile(dtype.str, offset, items, digest.hexdigest())
        self._streams.clear()
        _step(f"fsync {self.name}")
        self.data.flush()
        os.fsync(self.data.fileno())
        self.data.close()
        target = self.root / f"{self.name}.bin"
        if target.exists():  # left by a run that died before its commit: never in force, so garbage
            _step(f"remove stale {self.name}")
            target.unlink()
        _step(f"rename {self.name}")
        os.rename(self.staging / "data", target)
        _fsync(self.root)
        runs = (int(meta["runs"][0]), int(meta["runs"][1]))
        return SegmentInfo(
            self.name, int(meta["first_doc"]), int(meta["docs"]), runs, int(meta["heavy_min"]), self.files
        )


def _blocks(lo: np.ndarray, hi: np.ndarray, gap: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ranges [lo, hi) sorted by lo, merged when closer than `gap`: (block of each range, block starts, ends)."""
    reach = np.maximum.accumulate(hi)
    opens = np.concatenate([[True], lo[1:] > reach[:-1] + gap])
    block_of = np.cumsum(opens) - 1
    starts = lo[opens]
    ends = np.maximum.reduceat(hi, np.flatnonzero(opens))
    return block_of, starts, ends


def _own_file(path: Path) -> bool:
    """The lock and what a first run leaves before its commit (staging folders, segments, a generation file)."""
    return (
        path.name in (LOCK, f".{CURRENT}.tmp")
        or path.name.startswith(".staging-")
        or _SEGMENT.fullmatch(path.name) is not None
        or _GENERATION.fullmatch(path.name) is not None
    )


def _write_text(path: Path, text: str) -> None:
    _step(f"write {path.name}")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def locked(index_dir: str | os.PathLike[str]) -> Iterator[Path]:
    """Hold the index's lock (one writer at a time); released when the block ends or the process dies."""
    path = Path(index_dir)
    path.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # no flock on this platform: single-writer use is then the caller's responsibility
        yield path
        return
    with open(path / LOCK, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(f"{path} is in use by another cleaner run; wait for it to finish") from None
        try:
            yield path
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
