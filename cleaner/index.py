"""A persistent index of kept events, so that today's crawl is deduplicated against everything kept before.

What it stores, and why. The clustering is corpus-level: the frequent-shingle cut counts document frequencies over
the whole corpus, the representative is the best-ranked member of all copies, and a new, more complete copy can
absorb an earlier representative (and, with it, reach copies that earlier run could not link). Signatures or band
keys of the kept events alone cannot reproduce that. So the index keeps, for every document it has seen, the
inputs of `cleaner.dedup.cluster_arrays`: the raw (sampled, pre-cut) shingle set, the value slots, the canonical
length, the date and the id. These are pure functions of a document's text, a few hundred uint32 per document,
and much cheaper to keep than to recompute (no extraction, no normalisation). Each run concatenates them with the
new documents' and runs `cluster_arrays` once over all of it: the same call, on the same arrays in the same order
(sorted by id) as one run over the whole corpus, hence the same clusters, representatives and similarities.
Signatures and LSH band keys are re-derived from the sets each run because the corpus-level cut can change them.

Event ids stay stable. An event is named after its anchor: the document that was kept when the event first
appeared. Each run, a cluster takes the id of the oldest anchor it holds (earliest run, then smallest id); a
cluster holding no anchor is a new event anchored at its representative (its id is the representative's id, as
in a run without an index). The representative itself is always the best-ranked member seen so far: when a later,
more complete copy arrives, it becomes the representative of the existing event (the event id does not change;
the new text goes to this run's articles and updates files) and earlier outputs are never rewritten. When a new
copy links two earlier events, the younger one is merged into the older one and its id becomes an alias.

On disk, `DIR/CURRENT` names the current generation `DIR/gen-NNNNNN/`, which holds `meta.json` (format, versions,
hash scheme, dedup parameters, run log, file checksums) and `.npy` arrays. A commit writes a complete new
generation under a temporary name, renames it, then replaces `CURRENT` atomically: an interrupted run leaves the
previous generation in force. `DIR/LOCK` (flock) keeps two runs from extending one index at the same time.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from cleaner.dedup.config import DedupConfig
from cleaner.dedup.engine import Deduplicator, cluster_arrays
from cleaner.dedup.lsh import all_band_keys
from cleaner.dedup.minhash import SCHEME, signatures
from cleaner.dedup.origin import cluster_origin
from cleaner.dedup.shingles import ShingleSets
from cleaner.dedup.verify import SlotSets
from cleaner.errors import IndexMismatchError, InputError
from cleaner.models import Article, Cluster, ManifestEntry, Member, RunReport

CSR = TypeVar("CSR", ShingleSets, SlotSets)

if TYPE_CHECKING:  # pipeline imports this module lazily; importing it back at run time would be circular
    from cleaner.config import Config
    from cleaner.pipeline import Outcome

FORMAT = "cleaner-event-index"
FORMAT_VERSION = 1
CURRENT = "CURRENT"
LOCK = "LOCK"
META = "meta.json"
# DedupConfig fields that do not change any result (memory/speed knobs), so an index may be reused across them.
NEUTRAL_PARAMS = frozenset({"batch_size"})
# What the probe digest checks bit for bit (see `hash_scheme`).
SHINGLE_HASH = "cleaner.dedup.shingles.shingle_sets: uint32 window hashes, consistent 1/shingle_sample"
SLOT_HASH = "cleaner.dedup.normalize.value_slots: uint32 (context, value) hashes"
_PROBE_TEXT = (
    "GENEVA, March 3 (Reuters) - Talks ended without a deal; 60 pct enrichment, 1,200 centrifuges, officials said."
)

_DOC_STRINGS = ("ids", "sources", "urls", "sites", "titles", "dates", "origins")


# --------------------------------------------------------------------------------------------------------------
# The state: one row per document ever indexed (sorted by id), one row per live event.


@dataclass(slots=True)
class Features:
    """What `cluster_arrays` needs of each document, plus the metadata that sources and reports show."""

    ids: list[str]
    sources: list[str | None]
    urls: list[str | None]
    sites: list[str | None]
    titles: list[str | None]
    dates: list[str | None]
    origins: list[str | None]
    lengths: np.ndarray  # int64: canonical length
    sets: ShingleSets  # raw sampled shingles, before the corpus-frequency cut
    slots: SlotSets

    def __len__(self) -> int:
        return len(self.ids)

    def take(self, order: Sequence[int] | np.ndarray) -> Features:
        idx = np.asarray(order, dtype=np.int64)
        pick = idx.tolist()
        strings = {name: [getattr(self, name)[i] for i in pick] for name in _DOC_STRINGS}
        return Features(
            **strings,
            lengths=self.lengths[idx],
            sets=_take_rows(self.sets, idx),
            slots=_take_rows(self.slots, idx),
        )

    @classmethod
    def concat(cls, parts: Sequence[Features]) -> Features:
        strings = {name: [v for p in parts for v in getattr(p, name)] for name in _DOC_STRINGS}
        return cls(
            **strings,
            lengths=np.concatenate([p.lengths for p in parts]).astype(np.int64),
            sets=ShingleSets.concat([p.sets for p in parts]),
            slots=SlotSets.concat([p.slots for p in parts]),
        )


def document_features(articles: Sequence[Article], config: DedupConfig) -> Features:
    """The per-document inputs of the clustering, prepared by `Deduplicator.add` itself.

    Going through the Deduplicator (rather than re-implementing its normalisation) keeps the stored features
    identical to what a run without an index clusters, whatever the dedup package changes in its preparation.
    """
    dedup = Deduplicator(config)
    dedup.add_many(articles)
    sets, slots, lengths, dates, origins = _prepared(dedup)
    return Features(
        ids=[a.id for a in articles],
        sources=[a.source for a in articles],
        urls=[a.url for a in articles],
        sites=[a.site for a in articles],
        titles=[a.title for a in articles],
        dates=dates,
        origins=origins,
        lengths=lengths,
        sets=sets,
        slots=slots,
    )


def _prepared(
    dedup: Deduplicator,
) -> tuple[ShingleSets, SlotSets, np.ndarray, list[str | None], list[str | None]]:
    """(shingle sets, slots, canonical lengths, dates, origins) of the added articles, in add order.

    The Deduplicator does not expose its prepared arrays yet, so this reads them in this one place; a public
    accessor in cleaner.dedup would replace it (tests compare the index with a plain run, so drift is caught).
    """
    dedup._flush()
    sets = ShingleSets.concat(dedup._batches)
    slots = SlotSets.concat(dedup._slot_batches)
    lengths = np.array(dedup._lengths, dtype=np.int64)
    return sets, slots, lengths, list(dedup._dates), list(dedup._origins)


@dataclass(slots=True)
class Event:
    """A live event: its current representative and that representative's text, when the index has it."""

    rep: str
    text: str | None = None


@dataclass(slots=True)
class IndexState:
    """Everything a generation holds. `docs` is sorted by id; the per-document arrays follow that order."""

    docs: Features
    first_run: np.ndarray  # int32: run that added the document
    anchor_run: np.ndarray  # int32: run whose new event this document anchors, -1 if it anchors none
    event_of: list[str]  # event id of each document after the last run
    similarity: np.ndarray  # float64: similarity to its event's representative (1.0 for the representative)
    events: dict[str, Event] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)  # merged event id -> the event it now belongs to
    runs: list[dict[str, Any]] = field(default_factory=list)
    created: dict[str, Any] = field(default_factory=dict)  # versions and parameters that built the index

    @classmethod
    def empty(cls, config: DedupConfig) -> IndexState:
        return cls(
            docs=document_features([], config),
            first_run=np.zeros(0, dtype=np.int32),
            anchor_run=np.zeros(0, dtype=np.int32),
            event_of=[],
            similarity=np.zeros(0, dtype=np.float64),
        )

    def __len__(self) -> int:
        return len(self.docs)

    @property
    def run(self) -> int:
        """Number of runs committed so far."""
        return len(self.runs)

    def position(self) -> dict[str, int]:
        return {doc_id: i for i, doc_id in enumerate(self.docs.ids)}

    def members(self) -> dict[str, list[str]]:
        """Event id -> ids of its members (sorted)."""
        out: dict[str, list[str]] = {}
        for doc_id, event in zip(self.docs.ids, self.event_of, strict=True):
            out.setdefault(event, []).append(doc_id)
        return out

    def resolve(self, event: str) -> str:
        """The live event an id (possibly merged away) belongs to now."""
        seen: set[str] = set()
        while event in self.aliases and event not in seen:
            seen.add(event)
            event = self.aliases[event]
        return event

    def source_entry(self, i: int, similarity: float | None = None) -> dict[str, Any]:
        d = self.docs
        value = float(self.similarity[i]) if similarity is None else similarity
        entry = {"id": d.ids[i], "url": d.urls[i], "site": d.sites[i], "title": d.titles[i], "published": d.dates[i]}
        entry["similarity"] = round(value, 4)
        return entry


def _csr_fields(csr: Any) -> dict[str, np.ndarray]:
    """The arrays of a CSR dataclass of cleaner.dedup (ShingleSets, SlotSets): `offsets` plus per-item arrays."""
    return {f.name: getattr(csr, f.name) for f in dataclasses.fields(csr)}


def _take_rows(csr: CSR, order: np.ndarray) -> CSR:
    """Rows `order` of a CSR dataclass, in that order (whatever per-item arrays it holds besides `offsets`)."""
    fields = _csr_fields(csr)
    offsets = fields.pop("offsets")
    sizes = np.diff(offsets)[order]
    new_offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    gather = np.repeat(offsets[order] - new_offsets[:-1], sizes) + np.arange(int(new_offsets[-1]), dtype=np.int64)
    return type(csr)(offsets=new_offsets, **{name: array[gather] for name, array in fields.items()})


# --------------------------------------------------------------------------------------------------------------
# One run: cluster old + new documents together, then name the clusters after their anchors.


@dataclass(slots=True)
class EventChange:
    """An event created or changed by a run: its members now, and what changed since the previous run."""

    event: str
    rep: str
    origin: str | None
    members: list[Member]  # every member, old and new, sorted by id
    new: list[str]  # members added by this run's input
    created: bool  # the event first appears in this run
    previous_rep: str | None = None
    joined: list[str] = field(default_factory=list)  # earlier documents that moved into this event
    left: list[str] = field(default_factory=list)  # earlier members that now belong to another event
    absorbed: list[str] = field(default_factory=list)  # event ids merged into this one by this run
    previous_text: str | None = None  # text of the earlier representative, when this run replaced it


@dataclass(slots=True)
class IndexUpdate:
    """The result of `update_index`: the next state and the changes to report (nothing written yet)."""

    state: IndexState
    changes: list[EventChange]
    merged: dict[str, str]  # events merged away by this run -> the event they joined
    candidates: int


def update_index(state: IndexState, articles: Sequence[Article], config: DedupConfig, label: str = "") -> IndexUpdate:
    """Add `articles` (ids not yet indexed) to `state`, recluster everything, keep event ids stable. Pure."""
    known = state.position()
    clash = sorted(a.id for a in articles if a.id in known)
    if clash:
        raise ValueError(f"already indexed: {clash[:3]}; reject such documents before update_index")
    run = state.run + 1
    new = document_features(articles, config)
    order = sorted(range(len(state) + len(new)), key=[*state.docs.ids, *new.ids].__getitem__)
    # one run over everything: the same arrays, in the same (id) order, as a run without an index would build
    docs = Features.concat([state.docs, new]).take(order)
    first_run = np.concatenate([state.first_run, np.full(len(new), run, dtype=np.int32)])[order]
    anchor_run = np.concatenate([state.anchor_run, np.full(len(new), -1, dtype=np.int32)])[order]
    result = cluster_arrays(docs.sets, docs.slots, docs.lengths, docs.dates, docs.ids, config)
    groups = _groups(result.representative, result.rank)
    heads = _heads(groups, docs.ids, anchor_run, run)
    event_of = [""] * len(docs)
    for rep, members in groups.items():
        for i in members:
            event_of[i] = docs.ids[heads[rep]]
    texts = _rep_texts(state, articles)
    events = {docs.ids[heads[rep]]: Event(docs.ids[rep], texts.get(docs.ids[rep])) for rep in groups}
    anchors = np.flatnonzero(anchor_run >= 0).tolist()
    aliases = {docs.ids[i]: event_of[i] for i in anchors if docs.ids[i] != event_of[i]}
    log = {"run": run, "label": label, "documents": len(new), "indexed": len(docs), "events": len(events)}
    similarity = result.similarity.astype(np.float64)
    next_state = IndexState(
        docs, first_run, anchor_run, event_of, similarity, events, aliases, [*state.runs, log], state.created
    )
    changes = _changes(state, next_state, groups, first_run == run)
    log["changed"] = len(changes)
    merged = {e: a for e, a in aliases.items() if e in state.events}
    return IndexUpdate(next_state, changes, merged, result.candidates)


def _groups(representative: np.ndarray, rank: np.ndarray) -> dict[int, list[int]]:
    """Representative index -> member indices, best-ranked first."""
    groups: dict[int, list[int]] = {}
    for i in np.argsort(rank, kind="stable").tolist():
        groups.setdefault(int(representative[i]), []).append(i)
    return groups


def _heads(groups: dict[int, list[int]], ids: list[str], anchor_run: np.ndarray, run: int) -> dict[int, int]:
    """For each group, the document whose id names its event: the oldest anchor, or the representative (new)."""
    heads: dict[int, int] = {}
    for rep, members in groups.items():
        anchors = [i for i in members if anchor_run[i] >= 0]
        if anchors:
            heads[rep] = min(anchors, key=lambda i: (int(anchor_run[i]), ids[i]))
        else:
            anchor_run[rep] = run
            heads[rep] = rep
    return heads


def _rep_texts(state: IndexState, articles: Sequence[Article]) -> dict[str, str | None]:
    """Texts the index can give a representative: this run's articles and the stored representatives'."""
    texts: dict[str, str | None] = {e.rep: e.text for e in state.events.values() if e.text is not None}
    texts.update({a.id: a.text for a in articles})
    return texts


def _changes(old: IndexState, new: IndexState, groups: dict[int, list[int]], is_new: np.ndarray) -> list[EventChange]:
    """Events that are new, gained or lost members, or changed representative in this run, sorted by id."""
    before = dict(zip(old.docs.ids, old.event_of, strict=True))
    old_members = old.members()
    changes: list[EventChange] = []
    for rep, docs in groups.items():
        event = new.event_of[rep]
        ids = [new.docs.ids[i] for i in docs]
        added = [new.docs.ids[i] for i in docs if is_new[i]]
        joined = [d for d in ids if d in before and before[d] != event]
        previous = old.events.get(event)
        left = sorted(set(old_members.get(event, [])) - set(ids))
        rep_id = new.docs.ids[rep]
        if not (added or joined or left) and previous is not None and previous.rep == rep_id:
            continue
        members = sorted(
            (Member(new.docs.ids[i], round(float(new.similarity[i]), 4)) for i in docs), key=lambda m: m.id
        )
        origin = cluster_origin([new.docs.origins[i] for i in docs])
        absorbed = sorted({before[d] for d in joined if before[d] in old.events and before[d] not in new.events})
        changes.append(
            EventChange(
                event=event,
                rep=rep_id,
                origin=origin,
                members=members,
                new=sorted(added),
                created=previous is None,
                previous_rep=previous.rep if previous is not None else None,
                joined=sorted(joined),
                left=left,
                absorbed=absorbed,
                previous_text=previous.text if previous is not None and previous.rep != rep_id else None,
            )
        )
    return sorted(changes, key=lambda c: c.event)


# --------------------------------------------------------------------------------------------------------------
# Compatibility: versions, hash scheme and parameters.


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    import datasketch

    try:
        cleaner_version = version("cleaner")
    except PackageNotFoundError:
        cleaner_version = "unknown"
    return {"cleaner": cleaner_version, "numpy": np.__version__, "datasketch": str(datasketch.__version__)}


def dedup_params(config: DedupConfig) -> dict[str, Any]:
    """The DedupConfig fields that shape stored features or clusters (all but memory/speed knobs)."""
    return {k: v for k, v in dataclasses.asdict(config).items() if k not in NEUTRAL_PARAMS}


def hash_scheme(config: DedupConfig) -> dict[str, Any]:
    """Names of the hashes, plus a digest of a fixed text's shingles, slots, signature and band keys.

    The digest is the implementation's identity: any change in normalising, shingle hashing, slot hashing or
    datasketch's permutations changes it, and features stored under another digest cannot be mixed with new ones.
    """
    probe = document_features([Article("probe", "probe", None, _PROBE_TEXT)], config)
    sig = signatures(probe.sets, config.num_perm, config.seed)
    digest = hashlib.sha256()
    for array in (
        *_csr_fields(probe.sets).values(),
        *_csr_fields(probe.slots).values(),
        sig,
        all_band_keys(sig, config.band_rows),
    ):
        digest.update(np.ascontiguousarray(array).tobytes())
    return {
        "shingle": SHINGLE_HASH,
        "slots": SLOT_HASH,
        "minhash": f"datasketch {SCHEME}",
        "band_keys": f"{config.band_rows} rows per band",
        "layout": {
            "shingles": {name: str(a.dtype) for name, a in _csr_fields(probe.sets).items()},
            "slots": {name: str(a.dtype) for name, a in _csr_fields(probe.slots).items()},
        },
        "probe_sha256": digest.hexdigest(),
    }


def index_identity(config: DedupConfig) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "versions": _versions(),
        "hash_scheme": hash_scheme(config),
        "dedup": dedup_params(config),
    }


def check_compatible(stored: dict[str, Any], current: dict[str, Any], where: Path) -> None:
    """Raise IndexMismatchError, saying what differs and how to proceed, unless `stored` can be extended now."""
    if (stored.get("format"), stored.get("format_version")) != (FORMAT, FORMAT_VERSION):
        raise IndexMismatchError(
            f"{where} is index format {stored.get('format')!r} v{stored.get('format_version')}, this cleaner reads "
            f"{FORMAT!r} v{FORMAT_VERSION}: rebuild it by rerunning over the corpus with a new --index folder"
        )
    params = [
        f"{k} = {stored['dedup'].get(k)!r} (this run: {v!r})"
        for k, v in current["dedup"].items()
        if stored["dedup"].get(k) != v
    ]
    if params:
        raise IndexMismatchError(
            f"{where} was built with other [dedup] settings: {'; '.join(params)}. Run with the index's settings "
            "(set them in [tool.cleaner.dedup] or --config) or start a new --index folder"
        )
    old_v, new_v = stored["versions"], current["versions"]
    for lib in ("numpy", "datasketch"):
        if old_v[lib].split(".")[0] != new_v[lib].split(".")[0]:
            raise IndexMismatchError(
                f"{where} was built with {lib} {old_v[lib]}, this run has {lib} {new_v[lib]} (another major "
                f"version): install {lib}=={old_v[lib]} or rebuild the index in a new folder"
            )
    if stored["hash_scheme"] != current["hash_scheme"]:
        raise IndexMismatchError(
            f"{where} was built with another hash scheme (cleaner {old_v['cleaner']}, numpy {old_v['numpy']}, "
            f"datasketch {old_v['datasketch']}; now cleaner {new_v['cleaner']}, numpy {new_v['numpy']}, datasketch "
            f"{new_v['datasketch']}): its stored shingles cannot be mixed with new ones; rebuild it in a new folder"
        )


# --------------------------------------------------------------------------------------------------------------
# Storage: .npy arrays + meta.json in a generation folder, switched by an atomic rename of CURRENT.


def _encode_strings(values: Sequence[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """(utf-8 bytes of all values, byte length of each value or -1 for None)."""
    encoded = [v.encode("utf-8") if v is not None else None for v in values]
    lengths = np.array([len(e) if e is not None else -1 for e in encoded], dtype=np.int64)
    blob = np.frombuffer(b"".join(e for e in encoded if e is not None), dtype=np.uint8)
    return blob, lengths


def _decode_strings(blob: np.ndarray, lengths: np.ndarray) -> list[str | None]:
    data = blob.tobytes()
    out: list[str | None] = []
    pos = 0
    for n in lengths.tolist():
        if n < 0:
            out.append(None)
        else:
            out.append(data[pos : pos + n].decode("utf-8"))
            pos += n
    return out


def _state_arrays(state: IndexState) -> dict[str, np.ndarray]:
    d = state.docs
    arrays: dict[str, np.ndarray] = {
        "doc.length": d.lengths.astype(np.int64),
        "doc.first_run": state.first_run.astype(np.int32),
        "doc.anchor_run": state.anchor_run.astype(np.int32),
        "doc.similarity": state.similarity.astype(np.float64),
        **{f"shingles.{name}": array for name, array in _csr_fields(d.sets).items()},
        **{f"slots.{name}": array for name, array in _csr_fields(d.slots).items()},
    }
    events = sorted(state.events)
    aliases = sorted(state.aliases)
    columns: dict[str, Sequence[str | None]] = {
        **{f"doc.{name}": getattr(d, name) for name in _DOC_STRINGS},
        "doc.events": state.event_of,
        "event.ids": events,
        "event.reps": [state.events[e].rep for e in events],
        "event.texts": [state.events[e].text for e in events],
        "alias.from": aliases,
        "alias.to": [state.aliases[a] for a in aliases],
    }
    for name, values in columns.items():
        arrays[f"{name}.utf8"], arrays[f"{name}.len"] = _encode_strings(values)
    return arrays


def _state_from_arrays(arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> IndexState:
    def strings(name: str) -> list[str | None]:
        return _decode_strings(arrays[f"{name}.utf8"], arrays[f"{name}.len"])

    cols = {name: strings(f"doc.{name}") for name in _DOC_STRINGS}
    docs = Features(
        ids=[str(i) for i in cols.pop("ids")],
        **cols,
        lengths=arrays["doc.length"],
        sets=ShingleSets(**_prefixed(arrays, "shingles.")),
        slots=SlotSets(**_prefixed(arrays, "slots.")),
    )
    event_ids = [str(e) for e in strings("event.ids")]
    events = {
        e: Event(str(rep), text)
        for e, rep, text in zip(event_ids, strings("event.reps"), strings("event.texts"), strict=True)
    }
    aliases = dict(zip(strings("alias.from"), strings("alias.to"), strict=True))
    return IndexState(
        docs=docs,
        first_run=arrays["doc.first_run"],
        anchor_run=arrays["doc.anchor_run"].copy(),
        event_of=[str(e) for e in strings("doc.events")],
        similarity=arrays["doc.similarity"],
        events=events,
        aliases={str(k): str(v) for k, v in aliases.items()},
        runs=list(meta.get("runs", [])),
        created=dict(meta.get("created", {})),
    )


def _prefixed(arrays: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    return {name.removeprefix(prefix): array for name, array in arrays.items() if name.startswith(prefix)}


def _current_generation(index_dir: Path) -> Path | None:
    pointer = index_dir / CURRENT
    if not pointer.exists():
        return None
    name = pointer.read_text(encoding="utf-8").strip()
    generation = index_dir / name
    if not name.startswith("gen-") or not generation.is_dir():
        raise InputError(f"{pointer} names {name!r}, which is not a generation folder: the index is damaged")
    return generation


def read_index(index_dir: str | os.PathLike[str], config: DedupConfig | None = None) -> IndexState:
    """Load an index (an absent or empty folder is an empty index); with `config`, refuse an incompatible one."""
    path = Path(index_dir)
    config = config or DedupConfig()
    generation = _current_generation(path) if path.exists() else None
    if generation is None:
        if path.exists() and any(not _own_file(p) for p in path.iterdir()):
            raise InputError(f"{path} is not a cleaner index (no {CURRENT} file): give an empty or new folder")
        return IndexState.empty(config)
    meta = json.loads((generation / META).read_text(encoding="utf-8"))
    check_compatible(meta["identity"], index_identity(config), path)
    arrays: dict[str, np.ndarray] = {}
    for name, expected in meta["files"].items():
        file = generation / f"{name}.npy"
        if not file.exists() or _sha256(file) != expected:
            raise InputError(f"{file} is missing or does not match its checksum: the index is damaged")
        arrays[name] = np.load(file, allow_pickle=False)
    return _state_from_arrays(arrays, meta)


def _own_file(path: Path) -> bool:
    """The lock, staging folders and generations a first commit left before writing CURRENT."""
    return path.name == LOCK or path.name.startswith(".") or re.fullmatch(r"gen-\d{6}", path.name) is not None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_index(index_dir: str | os.PathLike[str], state: IndexState, config: DedupConfig) -> Path:
    """Write `state` as a new generation and make it current atomically; returns the generation folder."""
    path = Path(index_dir)
    path.mkdir(parents=True, exist_ok=True)
    previous = _current_generation(path)
    number = int(previous.name.removeprefix("gen-")) + 1 if previous is not None else 1
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=path))
    try:
        files: dict[str, str] = {}
        for name, array in _state_arrays(state).items():
            file = staging / f"{name}.npy"
            np.save(file, np.ascontiguousarray(array), allow_pickle=False)
            _fsync(file)
            files[name] = _sha256(file)
        identity = state.created or index_identity(config)
        meta = {"identity": index_identity(config), "created": identity, "runs": state.runs, "files": files}
        meta["documents"], meta["events"] = len(state), len(state.events)
        (staging / META).write_text(json.dumps(meta, indent=1, sort_keys=True, ensure_ascii=False) + "\n", "utf-8")
        _fsync(staging / META)
        _fsync(staging)
        generation = path / f"gen-{number:06d}"
        if generation.exists():  # left by a run that died before switching CURRENT: never current, so garbage
            shutil.rmtree(generation)
        os.rename(staging, generation)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    pointer = path / f".{CURRENT}.tmp"
    pointer.write_text(generation.name + "\n", encoding="utf-8")
    _fsync(pointer)
    os.replace(pointer, path / CURRENT)  # the commit point
    _fsync(path)
    _remove_stale(path, keep=generation.name)
    return generation


def _remove_stale(path: Path, keep: str) -> None:
    for child in path.iterdir():
        if (
            child.is_dir()
            and child.name != keep
            and (child.name.startswith("gen-") or child.name.startswith(".staging-"))
        ):
            shutil.rmtree(child, ignore_errors=True)


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


# --------------------------------------------------------------------------------------------------------------
# The run: reject what is already indexed, cluster, write this run's outputs, then commit the index.


def write_run_with_index(
    out_dir: Path, outcomes: Sequence[Outcome], index_dir: str | os.PathLike[str], config: Config, html: bool = True
) -> RunReport:
    """`write_run_records` for a run with `--index`: dedup against every event kept before, extend the index.

    Writes articles (events whose representative is in this run), clusters (events created or changed), updates
    (earlier events this run extended, re-represented or merged), documents, manifest and (`html`) report.html
    into `out_dir`, then commits the index, last: if the run stops before, the index is unchanged and the run
    can be repeated as is.
    """
    with locked(index_dir):
        state = read_index(index_dir, config.dedup)
        outcomes = reject_indexed(outcomes, state)
        articles = [o.article for o in outcomes if o.article is not None]
        update = update_index(state, articles, config.dedup, label=str(out_dir))
        report = _write_outputs(out_dir, outcomes, update, config.run.output_format)
        if html:
            from cleaner.report import write_report

            report.outputs["report"] = str(write_report(out_dir))
        write_index(index_dir, update.state, config.dedup)
    report.outputs["index"] = str(index_dir)
    return report


def reject_indexed(outcomes: Sequence[Outcome], state: IndexState) -> list[Outcome]:
    """Outcomes whose id the index already holds become rejections (a document is indexed once)."""
    from cleaner.pipeline import Outcome

    known = state.position()
    out: list[Outcome] = []
    for outcome in outcomes:
        if outcome.article is not None and outcome.id in known:
            i = known[outcome.id]
            reason = (
                f"already indexed: id {outcome.id} was added by index run {int(state.first_run[i])} "
                f"(from {state.docs.sources[i]}) and belongs to event {state.event_of[i]}"
            )
            outcome = Outcome(outcome.id, outcome.source, reason=reason)
        out.append(outcome)
    return out


def _manifest_clusters(update: IndexUpdate, pos: dict[str, int]) -> list[Cluster]:
    """Clusters as the manifest sees them: this run's documents only, kept = the event id (the anchor).

    A document is `kept` only when it anchors an event created by this run; joining an earlier event, even as
    its new representative, makes it a `duplicate` of that event's id.
    """
    out: list[Cluster] = []
    for change in update.changes:
        if not change.new:
            continue
        similarity_of = {m.id: m.similarity for m in change.members}
        members = []
        for doc_id in change.new:
            similarity = float(update.state.similarity[pos[doc_id]])
            if doc_id == change.rep and change.previous_rep in similarity_of:
                # a new representative of an earlier event: how much of the earlier representative it covers
                similarity = similarity_of[change.previous_rep]
            members.append(Member(doc_id, round(similarity, 4)))
        out.append(Cluster(change.event, change.event, members, change.origin))
    return out


def _event_cluster(change: EventChange) -> Cluster:
    return Cluster(change.event, change.rep, change.members, change.origin)


def _sources(state: IndexState, change: EventChange, pos: dict[str, int]) -> list[dict[str, Any]]:
    return [state.source_entry(pos[m.id], m.similarity) for m in change.members]


def _article_line(article: Article, change: EventChange, state: IndexState, pos: dict[str, int]) -> dict[str, Any]:
    from cleaner.pipeline import ARTICLE_FIELDS

    record: dict[str, Any] = {name: getattr(article, name) for name in ARTICLE_FIELDS}
    record["event"] = change.event
    record["origin"] = change.origin
    record["text"] = article.text
    record["sources"] = _sources(state, change, pos)
    record["removed"] = [r.to_dict() for r in article.removed]
    return record


def _doc_line(state: IndexState, i: int, text: str | None) -> dict[str, Any]:
    """A representative as updates.jsonl carries it: metadata, source and (when the index has it) text."""
    d = state.docs
    fields = {"id": d.ids[i], "source": d.sources[i], "url": d.urls[i], "site": d.sites[i], "title": d.titles[i]}
    return {**fields, "published": d.dates[i], "text": text}


def _update_line(change: EventChange, state: IndexState, pos: dict[str, int]) -> dict[str, Any]:
    line: dict[str, Any] = {
        "event": change.event,
        "kept": change.rep,
        "previous_kept": change.previous_rep,
        "size": len(change.members),
        "origin": change.origin,
        "added": change.new,
        "joined": change.joined,
        "left": change.left,
        "absorbed": change.absorbed,
        "merged_into": None,
        "representative": _doc_line(state, pos[change.rep], state.events[change.event].text),
        "sources": _sources(state, change, pos),
    }
    if change.previous_rep is not None and change.previous_rep != change.rep and change.previous_rep in pos:
        # the copy it replaced, so that `explain` can show why the new one joined the event
        line["previous_representative"] = _doc_line(state, pos[change.previous_rep], change.previous_text)
    return line


def _merged_line(event: str, into: str) -> dict[str, Any]:
    return {"event": event, "merged_into": into}


def _write_outputs(out_dir: Path, outcomes: Sequence[Outcome], update: IndexUpdate, fmt: str) -> RunReport:
    from cleaner.pipeline import (
        OUTPUT_NAMES,
        UPDATES_NAME,
        clear_previous_outputs,
        cluster_record,
        extraction_record,
        manifest_entries,
        summarize,
    )
    from cleaner.writers import write_records

    state, pos = update.state, update.state.position()
    by_id = {o.article.id: o.article for o in outcomes if o.article is not None}
    clusters = [_event_cluster(c) for c in update.changes]
    entries: list[ManifestEntry] = manifest_entries(outcomes, _manifest_clusters(update, pos))
    report = summarize(entries, clusters, sum(len(a.removed) for a in by_id.values()))
    files = {name: out_dir / f"{name}.{fmt}" for name in (*OUTPUT_NAMES, UPDATES_NAME)}
    clear_previous_outputs(out_dir)
    articles = (_article_line(by_id[c.rep], c, state, pos) for c in update.changes if c.rep in by_id)
    write_records(files["articles"], articles, fmt)
    write_records(files["clusters"], (cluster_record(c) for c in clusters), fmt)
    write_records(files["documents"], (extraction_record(o) for o in outcomes), fmt)
    updates = [_update_line(c, state, pos) for c in update.changes if not c.created]
    updates += [_merged_line(event, into) for event, into in sorted(update.merged.items())]
    write_records(files["updates"], updates, fmt)
    write_records(files["manifest"], (e.to_dict() for e in entries), fmt)  # last, as in a run without an index
    report.outputs = {name: str(path) for name, path in files.items()}
    return report
