"""How the index lays its data out as flat arrays: string columns, CSR rows, and sorted tables searched in place.

A string column is `NAME.blob` (UTF-8 bytes of all values), `NAME.offsets` (int64, one more than the values) and
`NAME.null` (1 where the value is None). A CSR table is `NAME.offsets` plus item arrays `NAME.FIELD`. Tables that
are looked up by key (document numbers, shingle hashes, band digests) are stored sorted by key, so that a run finds
its keys with a binary search instead of loading the table.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cleaner.index.store import Segment

# Items of a sorted table mapped at once while scanning it (4 bytes each: 64 MB): its pages leave the process
# before the next window is mapped, so a scan of a large index does not grow the run's memory.
SCAN_WINDOW = 1 << 24


def string_column(name: str, values: Sequence[str | None]) -> dict[str, np.ndarray]:
    encoded = [v.encode("utf-8", "surrogatepass") if v is not None else b"" for v in values]
    sizes = np.fromiter((len(e) for e in encoded), dtype=np.int64, count=len(encoded))
    return {
        f"{name}.blob": np.frombuffer(b"".join(encoded), dtype=np.uint8),
        f"{name}.offsets": np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
        f"{name}.null": np.array([v is None for v in values], dtype=np.uint8),
    }


def read_strings(segment: Segment, name: str, rows: np.ndarray) -> list[str | None]:
    """Values of rows `rows` of string column `name`."""
    if len(rows) == 0:
        return []
    rows = np.asarray(rows, dtype=np.int64)
    bounds = segment.items(f"{name}.offsets", rows, rows + 2).reshape(-1, 2)
    null = segment.take(f"{name}.null", rows).tolist()
    data = segment.items(f"{name}.blob", bounds[:, 0], bounds[:, 1]).tobytes()
    ends = np.cumsum(bounds[:, 1] - bounds[:, 0]).tolist()
    starts = [0, *ends[:-1]]
    return [
        None if n else data[a:b].decode("utf-8", "surrogatepass") for a, b, n in zip(starts, ends, null, strict=True)
    ]


def csr_rows(segment: Segment, name: str, fields: Sequence[str], rows: np.ndarray) -> tuple[np.ndarray, ...]:
    """(offsets, field arrays...) of rows `rows` of CSR table `name`, in that order."""
    rows = np.asarray(rows, dtype=np.int64)
    bounds = segment.items(f"{name}.offsets", rows, rows + 2).reshape(-1, 2)
    offsets = np.concatenate([[0], np.cumsum(bounds[:, 1] - bounds[:, 0])]).astype(np.int64)
    return (offsets, *(segment.items(f"{name}.{f}", bounds[:, 0], bounds[:, 1]) for f in fields))


def ranges_of(offsets: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Positions of the items of rows `rows` of a CSR table with `offsets`, row after row."""
    starts, ends = offsets[rows].astype(np.int64), offsets[rows + 1].astype(np.int64)
    sizes = ends - starts
    before = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    return np.repeat(starts - before, sizes) + np.arange(int(sizes.sum()), dtype=np.int64)


def find_sorted(segment: Segment, name: str, keys: np.ndarray, lo: int = 0, hi: int | None = None) -> np.ndarray:
    """Row of each of `keys` (sorted, unique) in the sorted array `name` (restricted to [lo, hi)), -1 if absent."""
    low, high = match_ranges(segment, name, keys, lo, hi)
    return np.where(high > low, low, -1)


def match_ranges(
    segment: Segment, name: str, keys: np.ndarray, lo: int = 0, hi: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """[first, end) rows equal to each of `keys` (sorted) in the sorted array `name`, restricted to [lo, hi).

    The array is searched one window at a time, each released after its search, so that however large the table,
    the pages touched leave the process with their window (the run's memory stays flat as the index grows).
    """
    hi = segment.length(name) if hi is None else hi
    first = np.full(len(keys), lo, dtype=np.int64)
    end = np.full(len(keys), lo, dtype=np.int64)
    if len(keys) == 0 or hi <= lo:
        return first, end
    for start in range(lo, hi, SCAN_WINDOW):
        stop = min(start + SCAN_WINDOW, hi)
        window = segment.window(name, start, stop)
        if window[0] > keys[-1] or window[-1] < keys[0]:
            segment.release(name, start, stop)
            continue
        a = int(np.searchsorted(keys, window[0], side="left"))
        b = int(np.searchsorted(keys, window[-1], side="right"))
        part = keys[a:b]
        left = np.searchsorted(window, part, side="left")
        hit = window[np.minimum(left, len(window) - 1)] == part
        right = left.copy()
        right[hit] = np.searchsorted(window, part[hit], side="right")
        idx = np.arange(a, b)[hit]
        # a run of equal keys may straddle windows: the first window holding a key gives its start, the last its end
        fresh = end[idx] == first[idx]
        first[idx[fresh]] = start + left[hit][fresh]
        end[idx] = start + right[hit]
        segment.release(name, start, stop)
    return first, end


def newest(segments: Sequence[Segment], table: str, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(segment index, row) of the newest record of each key (sorted, unique) in record table `table` (its sorted
    `TABLE.key` array), -1 where no segment holds one. Later segments hold newer records."""
    where = np.full(len(keys), -1, dtype=np.int64)
    rows = np.full(len(keys), -1, dtype=np.int64)
    for s in range(len(segments) - 1, -1, -1):
        todo = np.flatnonzero(where < 0)
        if len(todo) == 0:
            break
        found = find_sorted(segments[s], f"{table}.key", keys[todo])
        hit = found >= 0
        where[todo[hit]] = s
        rows[todo[hit]] = found[hit]
    return where, rows


def expand_ranges(first: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index of the range, position) for every position of ranges [first, end)."""
    sizes = (end - first).astype(np.int64)
    owner = np.repeat(np.arange(len(first), dtype=np.int64), sizes)
    before = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    positions = np.repeat(first - before, sizes) + np.arange(int(sizes.sum()), dtype=np.int64)
    return owner, positions


def positions_in(sorted_array: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Position of each of `keys` in the in-memory sorted array, -1 where absent."""
    if len(sorted_array) == 0:
        return np.full(len(keys), -1, dtype=np.int64)
    at = np.searchsorted(sorted_array, keys)
    at[at == len(sorted_array)] = 0
    return np.where(sorted_array[at] == keys, at, -1).astype(np.int64)
