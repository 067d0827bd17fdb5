"""Site templates: lines one site repeats across many of its pages (signatures, newsletter prompts, copyright).

Learned per run and per site, never across sites: a wire story's paragraphs recur on many outlets and are content.
Within a site, the same story can also appear several times (updates, section reprints); its paragraphs would then
look like a template too. So pages of one site that share most of their non-template lines are counted once
("story groups"): a line is template only when it recurs across different stories of that site.
Short lines (a site's recurring section headings such as "Pros") only count at the top or the bottom of a text,
where signatures and prompts sit.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from urllib.parse import urlsplit

from cleaner.clutter.config import ClutterConfig
from cleaner.models import Article, Removal

TEMPLATE_RULE = "template.site_repeat"
SAME_STORY_OVERLAP = 0.5  # pages sharing at least this share of their distinctive lines are one story
MAX_TEMPLATE_WORDS = 60  # a template line is a prompt or a signature, not a long paragraph
# Short lines recurring mid-article are the site's section headings ("Pros", "What We Don't Like"), which are
# content; short template lines (signatures, prompts) sit at the top or the bottom of the text.
MIN_MIDDLE_WORDS = 5
EDGE_TOP, EDGE_BOTTOM = 1, 2  # a short template line is the first line or one of the last two
_WORD = re.compile(r"\w")


def strip_site_templates(articles: Sequence[Article], config: ClutterConfig) -> list[Article]:
    """New articles with each site's template lines removed (or only marked) and recorded as Removals."""
    if not config.enabled or "template" not in config.families or TEMPLATE_RULE in config.disabled_rules:
        return list(articles)
    by_site: dict[str, list[int]] = defaultdict(list)
    for index, article in enumerate(articles):
        site = site_key(article)
        if site:
            by_site[site].append(index)
    result = list(articles)
    for site, members in by_site.items():
        if len(members) < config.template_min_pages:
            continue
        template = _template_lines([articles[i] for i in members], config)
        if not template:
            continue
        for index in members:
            result[index] = _strip(articles[index], template, site, config)
    return result


def site_key(article: Article) -> str | None:
    """Article.site, else the URL's host (without www.)."""
    if article.site:
        return article.site.casefold()
    if article.url:
        try:
            host = urlsplit(article.url).hostname
        except ValueError:
            return None
        return host.removeprefix("www.") if host else None
    return None


def _page_lines(article: Article) -> frozenset[str]:
    """The lines that may be template: any line of 5+ words, shorter ones only near the top or the bottom."""
    lines = [line.strip() for line in article.text.split("\n") if line.strip()]
    last = len(lines) - EDGE_BOTTOM
    return frozenset(
        line
        for index, line in enumerate(lines)
        if _WORD.search(line) and (len(line.split()) >= MIN_MIDDLE_WORDS or index < EDGE_TOP or index >= last)
    )


def _template_lines(articles: Sequence[Article], config: ClutterConfig) -> frozenset[str]:
    ordered = sorted(articles, key=lambda article: article.id)  # independent of input order
    pages = [_page_lines(article) for article in ordered]
    frequency = Counter(line for page in pages for line in page)
    threshold = max(config.template_min_pages, config.template_min_share * len(pages))
    candidates = {line for line, count in frequency.items() if count >= threshold and _short(line)}
    if not candidates:
        return frozenset()
    groups = _story_groups(pages)
    group_frequency: Counter[str] = Counter()
    for group in set(groups):
        members = [page for page, g in zip(pages, groups, strict=True) if g == group]
        group_frequency.update(frozenset().union(*members) & candidates)
    group_count = len(set(groups))
    group_threshold = max(config.template_min_pages, config.template_min_share * group_count)
    return frozenset(line for line in candidates if group_frequency[line] >= group_threshold)


def _short(line: str) -> bool:
    return len(line.split()) <= MAX_TEMPLATE_WORDS


def _story_groups(pages: Sequence[frozenset[str]]) -> list[int]:
    """Group index per page: a page joins the earlier group it shares at least half of its lines with.

    All lines count, template candidates included: when template lines dominate short pages, different stories
    merge into one group and fewer lines qualify as template, which errs on the side of keeping text.
    """
    owner: dict[str, int] = {}
    groups: list[int] = []
    for index, page in enumerate(pages):
        shared: Counter[int] = Counter(owner[line] for line in page if line in owner)
        group = index
        if shared:
            best, count = shared.most_common(1)[0]
            if count >= SAME_STORY_OVERLAP * len(page):
                group = best
        groups.append(group)
        for line in page:
            owner.setdefault(line, group)
    return groups


def _strip(article: Article, template: frozenset[str], site: str, config: ClutterConfig) -> Article:
    lines = article.text.split("\n")
    candidates = _page_lines(article) & template
    hits = [line for line in lines if line.strip() in candidates]
    if not hits:
        return article
    reason = f"line repeated across pages of site {site!r}"
    removed = [*article.removed, *(Removal(line.strip(), TEMPLATE_RULE, reason) for line in hits)]
    text = article.text if config.mark_only else "\n".join(line for line in lines if line.strip() not in candidates)
    return dataclasses.replace(article, text=text, removed=removed)
