"""OUTDIR/report.html: one static, self-contained page about a run, read back from its output files.

Summary counts, the largest events with their sources, a side-by-side diff of a duplicate against the copy its
event keeps, removed clutter grouped by rule and by site, and the rejected inputs. No script, no external fetch:
styles are inline and a Content-Security-Policy forbids everything else, so even a missed escape could not run
code. Every string that comes from a document goes through `html.escape`; links are written only for http(s) URLs.
"""

from __future__ import annotations

import difflib
import html
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cleaner.explain import RunOutputs, load_outputs
from cleaner.writers import atomic_path

TOP_EVENTS = 10
DIFFS = 3
EXAMPLES = 3
MAX_REJECTED = 200
_TOKEN = re.compile(r"\S+\s*|\s+")

CSS = """
:root { --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --soft: #f6f8fa; --accent: #0969da;
  --gone: #ffebe9; --gone-ink: #82071e; --added: #dafbe1; --added-ink: #116329; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); }
header, main, footer { max-width: 1180px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 24px; } h1 { margin: 0 0 4px; font-size: 26px; }
h2 { margin: 36px 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--line); font-size: 20px; }
h3 { margin: 20px 0 6px; font-size: 16px; } .muted { color: var(--muted); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; background: var(--soft); }
.card b { display: block; font-size: 26px; } .card span { color: var(--muted); font-size: 13px; }
table { width: 100%; border-collapse: collapse; margin: 6px 0 14px; font-size: 14px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--soft); font-weight: 600; } td.num, th.num { text-align: right; white-space: nowrap; }
.event { border: 1px solid var(--line); border-radius: 8px; padding: 4px 16px 8px; margin: 14px 0; }
.tag { display: inline-block; margin: 1px 0; padding: 0 7px; border-radius: 10px; font-size: 12px; white-space: nowrap;
  background: var(--soft); border: 1px solid var(--line); }
.tag.kept { background: var(--added); border-color: #aceebb; }
code, .id { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12.5px; }
a { color: var(--accent); text-decoration: none; } a:hover { text-decoration: underline; }
.sbs { display: grid; grid-template-columns: 1fr 1fr; gap: 14px; }
.sbs > div { border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
.sbs h4 { margin: 0; padding: 6px 10px; background: var(--soft); border-bottom: 1px solid var(--line);
  font-size: 13px; } .text { padding: 8px 10px; white-space: pre-wrap; font-size: 13.5px; }
del { background: var(--gone); color: var(--gone-ink); text-decoration: none; }
ins { background: var(--added); color: var(--added-ink); text-decoration: none; }
.legend del, .legend ins { padding: 0 4px; } footer { margin: 40px auto 24px; font-size: 13px; }
"""
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


def esc(value: object) -> str:
    """Escape any value for HTML text or a quoted attribute (None is empty)."""
    return html.escape("" if value is None else str(value), quote=True)


def link(url: str | None, label: str | None = None) -> str:
    """An <a> only for http(s) URLs (never javascript: or data:), else the escaped text."""
    text = esc(label if label is not None else url)
    if url and urlsplit(url).scheme.lower() in ("http", "https"):
        return f'<a href="{esc(url)}" rel="noreferrer noopener">{text}</a>'
    return text


# --------------------------------------------------------------------------------------------------------------
# What the page shows, gathered from the output files


class _Run:
    """Lookups over a run's outputs: each document's metadata, text and status, and each event's sources."""

    def __init__(self, outputs: RunOutputs) -> None:
        self.outputs = outputs
        self.status = {e["id"]: e for e in outputs.manifest}
        events = {c["cluster"] for c in outputs.clusters}
        # a stale updates file (an earlier run into the same folder) must not leak into this run's page
        self.updates = [u for u in outputs.updates if u.get("event") in events or u.get("merged_into") in events]
        self.meta: dict[str, dict[str, Any]] = {}
        self.text: dict[str, str] = {}
        for update in self.updates:
            for source in update.get("sources") or []:
                self.meta.setdefault(source["id"], source)
            rep = update.get("representative") or {}
            if rep.get("text"):
                self.text[rep["id"]] = rep["text"]
        for article in outputs.articles:
            for source in article.get("sources") or []:
                self.meta.setdefault(source["id"], source)
        for doc in outputs.documents:
            self.meta[doc["id"]] = {**self.meta.get(doc["id"], {}), **doc}
            if doc.get("text"):
                self.text[doc["id"]] = doc["text"]

    def label(self, doc_id: str) -> str:
        meta = self.meta.get(doc_id, {})
        return meta.get("site") or meta.get("source") or doc_id

    def largest(self) -> list[dict[str, Any]]:
        return sorted(self.outputs.clusters, key=lambda c: (-c["size"], c["cluster"]))[:TOP_EVENTS]


def _counts(run: _Run) -> list[tuple[str, int]]:
    statuses = Counter(e["status"] for e in run.outputs.manifest)
    removed = sum(len(d.get("removed") or []) for d in run.outputs.documents)
    return [
        ("documents", len(run.outputs.manifest)),
        ("kept", statuses["kept"]),
        ("duplicates", statuses["duplicate"]),
        ("rejected", statuses["rejected"]),
        ("events", len(run.outputs.clusters)),
        ("clutter spans removed", removed),
    ]


# --------------------------------------------------------------------------------------------------------------
# Sections


def _summary(run: _Run) -> str:
    cards = "".join(f'<div class="card"><b>{n}</b><span>{esc(name)}</span></div>' for name, n in _counts(run))
    reasons = Counter(
        (e.get("reason") or "unknown").split(":")[0] for e in run.outputs.manifest if e["status"] == "rejected"
    )
    rows = "".join(f"<tr><td>{esc(r)}</td><td class='num'>{n}</td></tr>" for r, n in sorted(reasons.items()))
    table = f"<h3>Rejections by reason</h3><table><tr><th>reason</th><th class='num'>documents</th></tr>{rows}</table>"
    return f'<section id="summary"><h2>Summary</h2><div class="cards">{cards}</div>{table if rows else ""}</section>'


def _source_row(run: _Run, member: dict[str, Any], kept: str) -> str:
    meta = run.meta.get(member["id"], {})
    entry = run.status.get(member["id"])
    status = "kept" if member["id"] == kept else (entry["status"] if entry else "")
    status = f"{status}, earlier run" if entry is None and status else (status or "earlier run")
    tag = f'<span class="tag{" kept" if member["id"] == kept else ""}">{esc(status)}</span>'
    title = link(meta.get("url"), meta.get("title") or meta.get("url") or member["id"])
    cells = [
        esc(meta.get("site") or ""),
        title,
        esc(meta.get("published") or ""),
        f"{member['similarity']:.3f}",
        tag,
        f'<span class="id">{esc(member["id"])}</span>',
    ]
    return "<tr>" + "".join(f"<td{' class=num' if i == 3 else ''}>{c}</td>" for i, c in enumerate(cells)) + "</tr>"


def _events(run: _Run) -> str:
    parts = ['<section id="events"><h2>Largest events</h2>']
    if not run.outputs.clusters:
        parts.append('<p class="muted">No events.</p>')
    for cluster in run.largest():
        kept = cluster["kept"]
        meta = run.meta.get(kept, {})
        head = f"<h3>{esc(meta.get('title') or kept)}</h3>"
        origin = f" · credits {esc(cluster['origin'])}" if cluster.get("origin") else ""
        info = (
            f'<p class="muted">event <span class="id">{esc(cluster["cluster"])}</span> · {cluster["size"]} '
            f"source{'s' if cluster['size'] != 1 else ''} · kept copy from {esc(run.label(kept))}{origin}</p>"
        )
        header = "<tr><th>site</th><th>title</th><th>published</th><th class='num'>similarity</th><th>status</th>"
        members = sorted(cluster["members"], key=lambda m: (m["id"] != kept, -m["similarity"], m["id"]))
        rows = "".join(_source_row(run, m, kept) for m in members)
        parts.append(
            f'<article class="event" data-event="{esc(cluster["cluster"])}" data-size="{cluster["size"]}">'
            f"{head}{info}<table>{header}<th>id</th></tr>{rows}</table></article>"
        )
    parts.append("</section>")
    return "".join(parts)


def side_by_side(left: str, right: str) -> tuple[str, str]:
    """Escaped HTML of two texts, words only in the left marked <del>, words only in the right marked <ins>."""
    a, b = _TOKEN.findall(left), _TOKEN.findall(right)
    matcher = difflib.SequenceMatcher(None, [t.strip() for t in a], [t.strip() for t in b], autojunk=False)
    out_a: list[str] = []
    out_b: list[str] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        old, new = esc("".join(a[i1:i2])), esc("".join(b[j1:j2]))
        if op == "equal":
            out_a.append(old)
            out_b.append(new)
            continue
        if i2 > i1:
            out_a.append(f"<del>{old}</del>")
        if j2 > j1:
            out_b.append(f"<ins>{new}</ins>")
    return "".join(out_a), "".join(out_b)


def _diff_pairs(run: _Run) -> list[tuple[dict[str, Any], str, str]]:
    """(cluster, kept id, duplicate id): in the largest events, the duplicate least similar to its kept copy."""
    pairs = []
    for cluster in run.largest():
        kept = cluster["kept"]
        others = [m for m in cluster["members"] if m["id"] != kept and m["id"] in run.text]
        if kept in run.text and others:
            dup = min(others, key=lambda m: (m["similarity"], m["id"]))
            pairs.append((cluster, kept, dup["id"]))
    return pairs[:DIFFS]


def _diffs(run: _Run) -> str:
    parts = ['<section id="diff"><h2>Duplicate vs kept copy</h2>']
    pairs = _diff_pairs(run)
    if not pairs:
        parts.append('<p class="muted">No event with a duplicate whose text is in this run.</p>')
    else:
        parts.append(
            '<p class="legend muted">Words only in the kept copy: <del>like this</del>; only in the duplicate: '
            "<ins>like this</ins>. Shown: in each of the largest events, the duplicate least similar to the kept "
            "copy.</p>"
        )
    for cluster, kept, dup in pairs:
        left, right = side_by_side(run.text[kept], run.text[dup])
        similarity = next(m["similarity"] for m in cluster["members"] if m["id"] == dup)
        title = run.meta.get(kept, {}).get("title") or kept
        parts.append(
            f'<h3>{esc(title)}</h3><p class="muted">similarity {similarity:.3f} · event '
            f'<span class="id">{esc(cluster["cluster"])}</span></p><div class="sbs" data-kept="{esc(kept)}" '
            f'data-duplicate="{esc(dup)}"><div><h4>kept: {esc(run.label(kept))}</h4><div class="text">{left}</div>'
            f'</div><div><h4>duplicate: {esc(run.label(dup))}</h4><div class="text">{right}</div></div></div>'
        )
    parts.append("</section>")
    return "".join(parts)


def _removals(run: _Run) -> list[tuple[str, dict[str, Any]]]:
    """(site, removal) for every span removed from this run's documents."""
    return [
        (doc.get("site") or "(no site)", removal)
        for doc in run.outputs.documents
        for removal in doc.get("removed") or []
    ]


def _by_rule(removals: Sequence[tuple[str, dict[str, Any]]]) -> str:
    counts: Counter[str] = Counter()
    sites: dict[str, set[str]] = defaultdict(set)
    texts: dict[str, Counter[str]] = defaultdict(Counter)
    reasons: dict[str, str] = {}
    for site, removal in removals:
        rule = removal.get("rule") or "?"
        counts[rule] += 1
        sites[rule].add(site)
        texts[rule][removal.get("text") or ""] += 1
        reasons.setdefault(rule, removal.get("reason") or "")
    rows = []
    for rule, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        examples = "<br>".join(f"{esc(_clip(t))} <span class='muted'>×{c}</span>" for t, c in _top(texts[rule]))
        rows.append(
            f"<tr><td><code>{esc(rule)}</code><br><span class='muted'>{esc(reasons[rule])}</span></td>"
            f"<td class='num'>{n}</td><td class='num'>{len(sites[rule])}</td><td>{examples}</td></tr>"
        )
    header = "<tr><th>rule</th><th class='num'>spans</th><th class='num'>sites</th><th>most frequent spans</th></tr>"
    return f"<h3>By rule</h3><table id='clutter-by-rule'>{header}{''.join(rows)}</table>"


def _by_site(removals: Sequence[tuple[str, dict[str, Any]]]) -> str:
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for site, removal in removals:
        table[site][removal.get("rule") or "?"] += 1
    rows = []
    for site in sorted(table, key=lambda s: (-sum(table[s].values()), s)):
        rules = sorted(table[site].items(), key=lambda item: (-item[1], item[0]))
        chips = " ".join(f'<span class="tag"><code>{esc(rule)}</code> ×{n}</span>' for rule, n in rules)
        rows.append(f"<tr><td>{esc(site)}</td><td class='num'>{sum(table[site].values())}</td><td>{chips}</td></tr>")
    header = "<tr><th>site</th><th class='num'>spans</th><th>rules</th></tr>"
    return f"<h3>By site</h3><table id='clutter-by-site'>{header}{''.join(rows)}</table>"


def _clutter(run: _Run) -> str:
    removals = _removals(run)
    if not removals:
        return '<section id="clutter"><h2>Removed clutter</h2><p class="muted">Nothing was removed.</p></section>'
    return f'<section id="clutter"><h2>Removed clutter</h2>{_by_rule(removals)}{_by_site(removals)}</section>'


def _rejected(run: _Run) -> str:
    rejected = [e for e in run.outputs.manifest if e["status"] == "rejected"]
    if not rejected:
        return ""
    rows = "".join(
        f"<tr><td><code>{esc(e['source'])}</code></td><td>{esc(e.get('reason'))}</td></tr>"
        for e in rejected[:MAX_REJECTED]
    )
    more = f"<p class='muted'>… and {len(rejected) - MAX_REJECTED} more (see the manifest).</p>"
    return (
        f'<section id="rejected"><h2>Rejected inputs</h2><table><tr><th>source</th><th>reason</th></tr>{rows}'
        f"</table>{more if len(rejected) > MAX_REJECTED else ''}</section>"
    )


def _updates(run: _Run) -> str:
    if not run.updates:
        return ""
    rows = []
    for update in run.updates:
        if update.get("merged_into"):
            change = f"merged into <span class='id'>{esc(update['merged_into'])}</span>"
        else:
            change = f"{len(update.get('added') or [])} new sources, {update.get('size')} in all"
            if update.get("previous_kept") and update.get("previous_kept") != update.get("kept"):
                change += f"; new kept copy from {esc(run.label(update['kept']))}"
        rows.append(f"<tr><td><span class='id'>{esc(update['event'])}</span></td><td>{change}</td></tr>")
    return (
        '<section id="updates"><h2>Earlier events extended by this run</h2>'
        f"<table><tr><th>event</th><th>change</th></tr>{''.join(rows)}</table></section>"
    )


def _clip(text: str, width: int = 140) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _top(counter: Counter[str]) -> Iterable[tuple[str, int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:EXAMPLES]


# --------------------------------------------------------------------------------------------------------------
# The page


def render_report(outputs: RunOutputs, title: str | None = None) -> str:
    """The whole page as one string (deterministic: no timestamps)."""
    run = _Run(outputs)
    heading = title or "cleaner run report"
    body = "".join([_summary(run), _events(run), _diffs(run), _clutter(run), _updates(run), _rejected(run)])
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(heading)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{esc(heading)}</h1></header>"
        f'<main>{body}</main><footer class="muted">Written by cleaner from the files in this folder: '
        "manifest, documents, clusters, articles (and updates for --index runs).</footer></body></html>\n"
    )


def write_report(out_dir: str | Path, title: str | None = None, outputs: RunOutputs | None = None) -> Path:
    """Write OUTDIR/report.html (atomically) from the run's output files; returns its path.

    `outputs`: the records a run has just written there, to spare reading them back (the same page either way).
    """
    outputs = outputs if outputs is not None else load_outputs(out_dir)
    path = Path(out_dir) / "report.html"
    with atomic_path(path) as temporary:
        # a file name that is not UTF-8 arrives as lone surrogates: shown escaped rather than failing the run
        temporary.write_bytes(render_report(outputs, title).encode("utf-8", "backslashreplace"))
        os.chmod(temporary, 0o644)  # a page to open and share, not a private temporary file (mkstemp: 0600)
    return path
