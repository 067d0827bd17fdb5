"""Site templates: blocks one site repeats across many of its pages (menus, author boxes, newsletter prompts,
signatures, copyright lines).

Learned per run and per site, never across sites: a wire story's paragraphs recur on many outlets and are content.
The unit is a block fingerprint: an output line's text with its block's tag path in the page (the extraction step's
block marks, `Article.metadata[LINE_BLOCKS]`), or the text alone for articles without marks (text input). A unit on
at least `template_min_pages` and `template_min_share` of a site's pages is a candidate, and then:
- page chrome is template whatever the stories around it: a block that on most of the pages having it lies outside
  the article body the page's markup shows or is mostly link text, or lies outside the body's core (its densest
  paragraph cluster) in a fixed slot of the site's layout (a tag path whose text is mostly the same on every page,
  where the story's slot changes with every page). A menu repeated on every page of a site is the site's, even
  where it outweighs the short stories it surrounds;
- a line of the body must also recur across different stories of the site, because the same story can appear
  on several of its pages (updates, section reprints). Pages that share most of their body lines are counted
  once ("story groups"); chrome is left out of that comparison, or pages whose chrome outweighs their stories
  would all look like one story and nothing would count as template.
Short body lines (a site's recurring section headings such as "Pros") only count at the top or the bottom of a
text, where signatures and prompts sit; short chrome counts anywhere.
A page keeps its template lines when removing them would leave it less than `min_chars` of text: template removal
never costs a page.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Sequence

from cleaner.clutter.config import ClutterConfig
from cleaner.models import Article, Removal
from cleaner.models import site_key as site_of

TEMPLATE_RULE = "template.site_repeat"
# Article.metadata key of the block marks: one fixed-width mark per line of the text, MARK_WIDTH characters each
# (a tag-path hash, then "k" for the body's core, "b" for the rest of the body, "c" for page chrome, "u" for a line
# not found in the page; see PageStructure.block_mark). Written by extraction, read and dropped by the site-template
# step.
LINE_BLOCKS = "line_blocks"
MARK_WIDTH = 7
CHROME, CORE, BODY, UNKNOWN = "c", "k", "b", "u"
# A tag path whose lines are at least this share repeats (template candidates) is a fixed slot of the site's layout.
FIXED_SLOT = 0.5
SAME_STORY_OVERLAP = 0.5  # pages sharing at least this share of their (weighted) body lines are one story
# A body line longer than this is never template: prompts and signatures are short (chrome repeated word for word,
# an 80-word author bio in its box on every page, is the site's at any length).
MAX_TEMPLATE_WORDS = 60
# Short lines recurring mid-article are the site's section headings ("Pros", "What We Don't Like"), which are
# content; short template lines (signatures, prompts) sit at the top or the bottom of the text.
MIN_MIDDLE_WORDS = 5
EDGE_TOP, EDGE_BOTTOM = 1, 2  # a short template line is the first line or one of the last two
_WORD = re.compile(r"\w")

Unit = tuple[str, str]  # (tag-path hash, "" when unknown; the line's text)


def strip_site_templates(articles: Sequence[Article], config: ClutterConfig, min_chars: int = 0) -> list[Article]:
    """New articles with each site's template lines removed (or only marked) and recorded as Removals; a page that
    would keep less than `min_chars` of text keeps its lines. The block marks are dropped from every article."""
    result = [_without_marks(article) for article in articles]
    if not config.enabled or "template" not in config.families or TEMPLATE_RULE in config.disabled_rules:
        return result
    by_site: dict[str, list[int]] = defaultdict(list)
    for index, article in enumerate(articles):
        site = site_key(article)
        if site:
            by_site[site].append(index)
    for site, members in by_site.items():
        if len(members) < config.template_min_pages:
            continue
        units = {articles[i].id: _line_units(articles[i]) for i in members}
        template = _template_units([articles[i] for i in members], units, config)
        if not template:
            continue
        for index in members:
            stripped = _strip(result[index], units[articles[index].id], template, site, config)
            if len(stripped.text) >= min_chars or len(stripped.text) == len(result[index].text):
                result[index] = stripped
    return result


def site_key(article: Article) -> str | None:
    """The article's site (see cleaner.models.site_key)."""
    return site_of(article.url, article.site)


def _without_marks(article: Article) -> Article:
    if LINE_BLOCKS not in article.metadata:
        return article
    metadata = {key: value for key, value in article.metadata.items() if key != LINE_BLOCKS}
    return dataclasses.replace(article, metadata=metadata)


def _marks(article: Article, lines: int) -> list[str]:
    """The article's block marks, one per line; unknown marks when it has none (or they do not fit its text)."""
    packed = article.metadata.get(LINE_BLOCKS)
    if not isinstance(packed, str) or len(packed) != MARK_WIDTH * lines:
        return [UNKNOWN] * lines
    return [packed[i : i + MARK_WIDTH] for i in range(0, len(packed), MARK_WIDTH)]


def _line_units(article: Article) -> list[tuple[Unit, str] | None]:
    """Per line of the text: (unit, block flag) for the lines that may be template, None for the others (empty
    or wordless lines, short lines amid the story)."""
    lines = article.text.split("\n")
    marks = _marks(article, len(lines))
    filled = [index for index, line in enumerate(lines) if line.strip()]
    edges = {*filled[:EDGE_TOP], *filled[-EDGE_BOTTOM:]}
    core = [index for index in filled if marks[index][-1] == CORE]
    units: list[tuple[Unit, str] | None] = [None] * len(lines)
    for index in filled:
        line, mark = lines[index].strip(), marks[index]
        flag = mark[-1]
        if not _WORD.search(line):
            continue
        # a short line counts where signatures and prompts sit: page chrome, the top or the bottom of the text, or
        # before or after the body's core in the page (a short line amid the story is one of its headings)
        outside_story = bool(core) and not core[0] <= index <= core[-1]
        if flag == CHROME or len(line.split()) >= MIN_MIDDLE_WORDS or index in edges or outside_story:
            units[index] = ((mark[:-1] if flag != UNKNOWN else "", line), flag)
    return units


def _template_units(
    articles: Sequence[Article], units: dict[str, list[tuple[Unit, str] | None]], config: ClutterConfig
) -> frozenset[Unit]:
    # the story grouping below is greedy, so the order matters: order by content, not by id (ids are hashes of
    # source paths, and the same corpus in another folder must give the same templates)
    ordered = sorted(articles, key=_content_order)
    pages = [dict(filter(None, units[article.id])) for article in ordered]
    frequency = Counter(unit for page in pages for unit in page)
    threshold = max(config.template_min_pages, config.template_min_share * len(pages))
    candidates = {unit for unit, count in frequency.items() if count >= threshold}
    if not candidates:
        return frozenset()
    chrome = _chrome(pages, frequency, candidates)
    body_candidates = {unit for unit in candidates - chrome if _short(unit[1])}
    if not body_candidates:
        return frozenset(chrome)
    bodies = [frozenset(unit for unit in page if unit not in chrome) for page in pages]
    groups = _story_groups(bodies)
    group_frequency: Counter[Unit] = Counter()
    for group in set(groups):
        members = [body for body, g in zip(bodies, groups, strict=True) if g == group]
        group_frequency.update(frozenset().union(*members) & body_candidates)
    group_count = len(set(groups))
    group_threshold = max(config.template_min_pages, config.template_min_share * group_count)
    return frozenset(chrome | {unit for unit in body_candidates if group_frequency[unit] >= group_threshold})


def _content_order(article: Article) -> tuple[bytes, str]:
    return hashlib.sha1(article.text.encode("utf-8", "surrogatepass")).digest(), article.id


def _chrome(pages: Sequence[dict[Unit, str]], frequency: Counter[Unit], candidates: set[Unit]) -> set[Unit]:
    """The candidates that are page chrome: marked so on most of their pages, or outside the body's core on most
    of them and in a fixed slot of the site's layout (a tag path where the text is mostly the same from page to
    page: menus, author boxes; where the story sits, the text changes with every page)."""
    votes: dict[Unit, Counter[str]] = defaultdict(Counter)
    slot_lines: Counter[str] = Counter()
    slot_repeats: Counter[str] = Counter()
    for page in pages:
        for unit, flag in page.items():
            if unit in candidates:
                votes[unit][flag] += 1
                slot_repeats[unit[0]] += 1
            slot_lines[unit[0]] += 1
    marked = {unit for unit in candidates if 2 * votes[unit][CHROME] > frequency[unit]}
    placed = {
        unit
        for unit in candidates
        if unit[0] and 2 * votes[unit][CORE] < frequency[unit] and _fixed(unit[0], slot_repeats, slot_lines)
    }
    return marked | placed


def _fixed(path: str, repeats: Counter[str], lines: Counter[str]) -> bool:
    return repeats[path] >= FIXED_SLOT * lines[path]


def _short(line: str) -> bool:
    return len(line.split()) <= MAX_TEMPLATE_WORDS


def _story_groups(pages: Sequence[frozenset[Unit]]) -> list[int]:
    """Group index per page: a page joins the earlier group it shares at least half of its body lines with, each
    line weighted by one over the number of the site's pages having it.

    The weights let a short story outweigh the body lines its site repeats on many pages (a form, a bio), so that
    different stories stay apart however much repeated text surrounds them, while the pages of one story, which
    share lines found nowhere else on the site, stay together (also when every page of a site is that story).
    """
    document_frequency = Counter(unit for page in pages for unit in page)
    owner: dict[Unit, int] = {}
    groups: list[int] = []
    for index, page in enumerate(pages):
        shared: dict[int, float] = {}
        for unit in page:
            if unit in owner:
                shared[owner[unit]] = shared.get(owner[unit], 0.0) + 1 / document_frequency[unit]
        group = index
        if shared:
            best, overlap = max(shared.items(), key=lambda item: (item[1], -item[0]))
            if overlap >= SAME_STORY_OVERLAP * sum(1 / document_frequency[unit] for unit in page):
                group = best
        groups.append(group)
        for unit in page:
            owner.setdefault(unit, group)
    return groups


def _strip(
    article: Article,
    units: list[tuple[Unit, str] | None],
    template: frozenset[Unit],
    site: str,
    config: ClutterConfig,
) -> Article:
    lines = article.text.split("\n")
    hits = {index for index, entry in enumerate(units) if entry is not None and entry[0] in template}
    if not hits:
        return article
    reason = f"line repeated across pages of site {site!r}"
    removed = [*article.removed, *(Removal(lines[index].strip(), TEMPLATE_RULE, reason) for index in sorted(hits))]
    text = article.text if config.mark_only else "\n".join(line for i, line in enumerate(lines) if i not in hits)
    return dataclasses.replace(article, text=text, removed=removed)
