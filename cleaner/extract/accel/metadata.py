"""Page metadata: trafilatura's own rules, without its three costly whole-tree searches.

`trafilatura.metadata.extract_metadata` costs about a third of a bare text extraction. Its cheap steps (meta tags,
JSON-LD, title, canonical URL, htmldate) are called here as they are. Its three body searches are the cost: the
author search deep-copies the page, prunes it with regex XPaths and runs three more; categories, tags and the
license each scan the whole tree again with regex XPaths. They are replaced by one walk over the elements that
applies the same conditions, in the same priority and document order, so the answers are the same
(`tests/test_metadata.py` compares both on every fixture page; `bench/metadata.py` on the benchmark pages).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from courlan import extract_domain
from htmldate import find_date
from lxml import etree
from lxml.html import HtmlElement
from trafilatura.baseline import block_text
from trafilatura.json_metadata import normalize_authors
from trafilatura.metadata import (
    LICENSE_REGEX,
    META_URL,
    examine_meta,
    extract_meta_json,
    extract_sitename,
    extract_title,
    extract_url,
    parse_license_element,
)
from trafilatura.settings import Document, set_date_params, use_config
from trafilatura.utils import line_processing, trim

_EXTENSIVE_DATE_SEARCH = use_config().getboolean("DEFAULT", "EXTENSIVE_DATE_SEARCH")

# trafilatura.xpaths.AUTHOR_DISCARD_XPATHS: bylines inside these (comments, sidebars, dates, figures) do not count
_DISCARD_TAGS = frozenset({"a", "div", "section", "span"})
_DISCARD_ID = re.compile(r"^comments|comment-?list|ProductReviews")
_DISCARD_CLASS = re.compile(
    r"^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram|article-(?:share|support)"
    r"|print|category|meta-date|meta-reviewer"
)
# trafilatura.xpaths.AUTHOR_XPATHS, three levels from specific to generic
_AUTHOR_1_TAGS = frozenset({"a", "address", "div", "link", "p", "span", "strong"})
_AUTHOR_1_CLASS = re.compile(r"author-?name|AuthorName|authorName")
_AUTHOR_2_TAGS = frozenset({"a", "div", "h3", "h4", "p", "span"})
_AUTHOR_2_ID = re.compile(r"author|zuozhe|bianji|xiaobian")
_AUTHOR_2_CLASS = re.compile(r"author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name")
_AUTHOR_3_ID = re.compile(r"[Aa]uthor")
_AUTHOR_3_CLASS = re.compile(r"[Aa]uthor|screenname|writer|[Bb]yline")
_AUTHOR_MAX_CHARS = 120
# trafilatura.xpaths.CATEGORIES_XPATHS and TAGS_XPATHS: containers whose links name the categories or tags
_CATEGORY_1_CLASS = re.compile(r"^(?:post-?info|post-?meta|meta|entry-meta|entry-info|entry-utility)")
_TAG_3_CLASS = re.compile(r"^(?:tag|postmeta|meta)")
_CATEGORY_HREF = re.compile(r"/categor(?:y|ies|s)?/")
_TAG_HREF = re.compile(r"/tag(?:y|ies|s)?/")
# An element's roles depend on its tag, class and id, and on a few other attributes (_role_attributes_matter). Most
# elements have no such attribute and no id that a condition tests: their roles are cached by (tag, class), which a
# page repeats over thousands of elements and a site over its pages.
_ROLE_CACHE_SIZE = 50_000
_ROLE_ATTRIBUTE_ORDER = ("rel", "itemprop", "data-testid", "data-component")  # see _role_attributes_matter
_ROLE_ATTRIBUTES = frozenset(_ROLE_ATTRIBUTE_ORDER)
# Every class or id substring the conditions below test, lowercased: most values match none and skip the tests.
_MAY_MATTER = re.compile(
    r"comment|productreviews|sidebar|is-hidden|quote|embedly|article-s|print|categor|meta|title|date|author|zuozhe"
    r"|bianji|xiaobian|submitted-by|posted-by|journalist|channel-name|byl|bbl|username|screenname|writer|post-?info"
    r"|entry-|postpath|filedunder|cat-links|row|tag|topics|footer|relatedposts"
)  # applied to lowercased values: an IGNORECASE alternation is six times slower in `re`
_ROLE_TAGS = frozenset({"time", "figure", "author", "footer", "rel"})  # roles by tag alone
# what TEXT_LICENSE_REGEX needs, with its flag: IGNORECASE also lets "i" match "ı" and "İ", and "s" match "ſ"
_LICENSE_HINT = re.compile(r"cc|creative", re.IGNORECASE)
_SECTION_META = etree.XPath('.//head//meta[@property="article:section" or contains(@name, "subject")][@content]')


@dataclass(frozen=True, slots=True)
class _Roles:
    """Which body searches an element takes part in."""

    discarded: bool  # authors inside it do not count
    author_level: int | None
    category_levels: tuple[int, ...]
    tag_levels: tuple[int, ...]
    license_link: bool
    footer: bool
    rel: bool  # a <rel> element: its parent may be a byline


_NO_ROLES = _Roles(
    discarded=False, author_level=None, category_levels=(), tag_levels=(), license_link=False, footer=False, rel=False
)
_role_cache: dict[tuple[str, str], _Roles | None] = {}
_attribute_role_cache: dict[tuple[str | bool | None, ...], _Roles | None] = {}
_UNKNOWN = object()


@dataclass(slots=True)
class _Walk:
    """What one pass over the page's elements collects for the body searches."""

    discarded: set[HtmlElement] = field(default_factory=set)
    authors: tuple[list[HtmlElement], ...] = field(default_factory=lambda: ([], [], []))
    categories: tuple[list[HtmlElement], ...] = field(default_factory=lambda: tuple([] for _ in range(6)))
    tags: tuple[list[HtmlElement], ...] = field(default_factory=lambda: tuple([] for _ in range(4)))
    license_links: list[HtmlElement] = field(default_factory=list)
    footers: list[HtmlElement] = field(default_factory=list)
    rel_elements: list[HtmlElement] = field(default_factory=list)  # <rel> elements, see _add_rel_me_authors


def extract_metadata(tree: HtmlElement, url: str | None, extensive_date_search: bool | None = None) -> Document:
    """Title, author, date, URL, site name and the rest, as trafilatura's `extract_metadata` finds them.

    `extensive_date_search` None follows trafilatura's setting (on); False skips htmldate's last resort, a scan of
    the page text for any date, which is most of the cost on pages whose date is not in their markup.
    The tree is only read, never changed.
    """
    metadata = examine_meta(tree)
    if metadata.author and " " not in metadata.author:
        metadata.author = None
    with contextlib.suppress(Exception):  # trafilatura guards its JSON-LD reader the same way: a bug there
        metadata = extract_meta_json(tree, metadata)  # must not cost the page its other metadata
    walk = _walk(tree)
    metadata.title = metadata.title or extract_title(tree)
    metadata.author = metadata.author or _author(walk)
    metadata.url = metadata.url or extract_url(tree, url)
    if metadata.url:
        metadata.hostname = extract_domain(metadata.url, fast=True)
    extensive = _EXTENSIVE_DATE_SEARCH if extensive_date_search is None else extensive_date_search
    date_config = set_date_params(extensive)
    date_config["url"] = metadata.url
    metadata.date = find_date(tree, **date_config)
    metadata.sitename = _sitename(tree, metadata)
    metadata.categories = metadata.categories or _categories(tree, walk)
    metadata.tags = metadata.tags or _links_text(walk.tags, _TAG_HREF) or []
    metadata.license = _license(walk)
    metadata.filedate = date_config.get("max_date")
    metadata.clean_and_trim()
    return metadata


def _walk(tree: HtmlElement) -> _Walk:
    walk = _Walk()
    cache, may_matter = _role_cache, _MAY_MATTER.search
    for element in tree.iter(etree.Element):
        attributes = element.attrib
        tag = element.tag
        css_class = attributes.get("class", "")
        element_id = attributes.get("id", "")
        # only an element with attributes besides class and id can hold one that matters: len() is cheapest, then
        # a set test in C, then the values
        if (
            len(attributes) > (css_class != "") + (element_id != "")
            and not _ROLE_ATTRIBUTES.isdisjoint(attributes.keys())
            and _role_attributes_matter(tag, attributes)
        ):
            roles = _attribute_roles(tag, css_class, element_id, attributes)
        elif element_id and may_matter(element_id.lower()):
            roles = _all_roles({}, tag, css_class, element_id)
        else:  # an id that no condition tests counts as no id: ids are unique, a cache keyed by them would not hit
            cached = cache.get((tag, css_class), _UNKNOWN)  # read inline: this runs for nearly every element
            if cached is _UNKNOWN:
                roles = _remember(cache, (tag, css_class), _roles(tag, css_class, ""))
            else:
                roles = cast("_Roles | None", cached)
        if roles is not None:
            _record(walk, element, roles)
    _exclude_root(walk, tree)
    _add_rel_me_authors(walk, tree)
    return walk


def _exclude_root(walk: _Walk, root: HtmlElement) -> None:
    """trafilatura's discard, footer and license searches start at ".//", below the root, and its pruning cannot
    delete a root; its author and category searches ("//") do include the root, as the walk does."""
    walk.discarded.discard(root)
    for found in (walk.footers, walk.license_links):
        if found and found[0] is root:  # the root comes first in document order
            del found[0]


def _add_rel_me_authors(walk: _Walk, tree: HtmlElement) -> None:
    """AUTHOR_XPATHS level 1 also takes an element with a child element <rel> whose text is "me" (XPath `rel='me'`
    compares child elements named rel, and an HTML parser keeps unknown tags). Rare, so the level is re-sorted."""
    parents = [
        rel.getparent()
        for rel in walk.rel_elements
        if "".join(_text_outside(rel, walk.discarded)) == "me"
        and rel.getparent() is not None
        and rel.getparent().tag in _AUTHOR_1_TAGS
    ]
    if not parents:
        return
    level = set(walk.authors[0]) | set(parents)
    walk.authors[0][:] = [element for element in tree.iter(etree.Element) if element in level]


def _role_attributes_matter(tag: str, attributes: Mapping[str, str]) -> bool:
    """The element has rel, itemprop, data-testid or data-component with a value that a condition tests."""
    rel = attributes.get("rel")
    if rel is not None and (rel == "author" or (tag == "a" and "href" in attributes)):
        return True
    if "author" in attributes.get("itemprop", ""):
        return True
    if attributes.get("data-testid") in ("AuthorCard", "AuthorURL"):
        return True
    component = attributes.get("data-component", "")
    return "Byline" in component or "Figure" in component


def _remember(cache: dict[Any, _Roles | None], key: Any, roles: _Roles | None) -> _Roles | None:
    """Store `roles` under `key`; a full cache is emptied first (a long run sees many class names)."""
    if len(cache) >= _ROLE_CACHE_SIZE:
        cache.clear()
    cache[key] = roles
    return roles


def _attribute_roles(tag: str, css_class: str, element_id: str, attributes: Mapping[str, str]) -> _Roles | None:
    """_all_roles of an element whose other attributes matter, cached by every value that _all_roles reads."""
    key = (
        tag,
        css_class,
        element_id if element_id and _MAY_MATTER.search(element_id.lower()) else "",
        *(attributes.get(name) for name in _ROLE_ATTRIBUTE_ORDER),
        "href" in attributes,
    )
    cached = _attribute_role_cache.get(key, _UNKNOWN)
    if cached is not _UNKNOWN:
        return cast("_Roles | None", cached)
    return _remember(_attribute_role_cache, key, _all_roles(attributes, tag, css_class, str(key[2])))


def _roles(tag: str, css_class: str, element_id: str) -> _Roles | None:
    """None for the usual element that takes part in nothing; for an element whose other attributes do not matter."""
    if (
        tag not in _ROLE_TAGS
        and not (css_class and _MAY_MATTER.search(css_class.lower()))
        and not (element_id and _MAY_MATTER.search(element_id.lower()))
    ):
        return None
    return _all_roles({}, tag, css_class, element_id)


def _all_roles(attributes: Mapping[str, str], tag: str, css_class: str, element_id: str) -> _Roles | None:
    """_roles without the _MAY_MATTER shortcut (tests check that the shortcut changes nothing). Of `attributes`,
    only those in _ROLE_ATTRIBUTE_ORDER and whether href is set are read (_attribute_roles caches by them)."""
    roles = _Roles(
        discarded=tag in ("time", "figure") or _is_discarded(attributes, tag, css_class, element_id),
        author_level=_author_level(attributes, tag, css_class, element_id),
        category_levels=tuple(_category_levels(tag, css_class, element_id)),
        tag_levels=tuple(_tag_levels(tag, css_class)),
        license_link=tag == "a" and "rel" in attributes and "href" in attributes,
        footer=tag == "footer" or (tag == "div" and ("footer" in css_class or "footer" in element_id)),
        rel=tag == "rel",
    )
    return roles if roles != _NO_ROLES else None


def _record(walk: _Walk, element: HtmlElement, roles: _Roles) -> None:
    if roles.discarded:
        walk.discarded.add(element)
    if roles.author_level is not None:
        walk.authors[roles.author_level].append(element)
    for level in roles.category_levels:
        walk.categories[level].append(element)
    for level in roles.tag_levels:
        walk.tags[level].append(element)
    if roles.license_link:
        walk.license_links.append(element)
    if roles.footer:
        walk.footers.append(element)
    if roles.rel:
        walk.rel_elements.append(element)


def _is_discarded(attributes: Mapping[str, str], tag: str, css_class: str, element_id: str) -> bool:
    if tag not in _DISCARD_TAGS:
        return False
    return (
        element_id == "comments"
        or css_class in ("comments", "title", "date")
        or _DISCARD_ID.search(element_id) is not None
        or _DISCARD_CLASS.search(css_class) is not None
        or "Figure" in attributes.get("data-component", "")
    )


def _author_level(attributes: Mapping[str, str], tag: str, css_class: str, element_id: str) -> int | None:
    """The first AUTHOR_XPATHS level that selects this element, 0-based; None when none does."""
    if tag == "author":
        return 0
    itemprop = attributes.get("itemprop", "")
    # level 1's `rel='me'` tests a child element named rel: _add_rel_me_authors
    if tag in _AUTHOR_1_TAGS and (
        attributes.get("rel") == "author"
        or element_id == "author"
        or css_class == "author"
        or itemprop == "author name"
        or attributes.get("data-testid") in ("AuthorCard", "AuthorURL")
        or _AUTHOR_1_CLASS.search(css_class)
    ):
        return 0
    if tag in _AUTHOR_2_TAGS and (
        css_class in ("byline", "username", "byl", "BBL")
        or "author" in itemprop
        or _AUTHOR_2_ID.search(element_id)
        or _AUTHOR_2_CLASS.search(css_class)
    ):
        return 1
    if (
        "Byline" in attributes.get("data-component", "")
        or "author" in itemprop
        or _AUTHOR_3_ID.search(element_id)
        or _AUTHOR_3_CLASS.search(css_class)
    ):
        return 2
    return None


def _category_levels(tag: str, css_class: str, element_id: str) -> Iterator[int]:
    if tag == "div" and (_CATEGORY_1_CLASS.search(css_class) or element_id.startswith("postpath")):
        yield 0
    if tag == "p" and (
        css_class.startswith(("postmeta", "entry-categories")) or css_class == "postinfo" or element_id == "filedunder"
    ):
        yield 1
    if tag == "footer" and css_class.startswith(("entry-meta", "entry-footer")):
        yield 2
    if tag in ("li", "span") and (
        css_class in ("post-category", "postcategory", "entry-category") or "cat-links" in css_class
    ):
        yield 3
    if tag == "header" and css_class == "entry-header":
        yield 4
    if tag == "div" and css_class in ("row", "tags"):
        yield 5


def _tag_levels(tag: str, css_class: str) -> Iterator[int]:
    if tag == "div" and css_class == "tags":
        yield 0
    if tag == "p" and css_class.startswith("entry-tags"):
        yield 1
    if tag == "div" and (css_class in ("row", "jp-relatedposts", "entry-utility") or _TAG_3_CLASS.search(css_class)):
        yield 2
    if css_class == "entry-meta" or "topics" in css_class or "tags-links" in css_class:
        yield 3


def _author(walk: _Walk) -> str | None:
    """trafilatura's extract_author: the first byline text of 3-119 characters outside discarded sections."""
    for level in walk.authors:
        for element in level:
            if _inside_discarded(element, walk.discarded):
                continue
            content = trim(" ".join(_text_outside(element, walk.discarded)))
            if content and 2 < len(content) < _AUTHOR_MAX_CHARS:
                return normalize_authors(None, content)
    return None


def _inside_discarded(element: HtmlElement, discarded: set[HtmlElement]) -> bool:
    if not discarded:
        return False
    return element in discarded or any(ancestor in discarded for ancestor in element.iterancestors())


def _text_outside(element: HtmlElement, discarded: set[HtmlElement]) -> list[str]:
    """itertext() as if the discarded descendants had been deleted the way trafilatura deletes them.

    trafilatura's delete_element appends a deleted element's tail to the previous sibling's tail (or to the
    parent's text), so the text on either side of a deleted element becomes one piece: "Jane<time/>Roe" gives
    "JaneRoe". Iterative: a hostile page nests elements far deeper than Python's recursion limit.
    """
    if not discarded:
        return list(element.itertext())
    parts: list[str] = []
    # a frame: the node, its remaining children, and the text slot being built (its text, or its last kept
    # child's tail), which absorbs the tails of discarded children that follow
    stack: list[tuple[HtmlElement, Iterator[HtmlElement], list[str]]] = [(element, iter(element), [element.text or ""])]
    while stack:
        node, children, slot = stack[-1]
        child = next(children, None)
        if child is None:
            _emit(parts, slot)
            stack.pop()
            if stack:
                stack[-1][2][:] = [node.tail or ""]  # the parent's slot is now this node's tail
            continue
        if child in discarded:
            slot.append(child.tail or "")
            continue
        _emit(parts, slot)
        slot.clear()
        text = (child.text or "") if isinstance(child.tag, str) else ""  # comments and PIs: their tail only
        stack.append((child, iter(child), [text]))
    return parts


def _emit(parts: list[str], slot: list[str]) -> None:
    text = "".join(slot)
    if text:
        parts.append(text)


def _categories(tree: HtmlElement, walk: _Walk) -> list[str]:
    found = _links_text(walk.categories, _CATEGORY_HREF)
    if found is not None:
        return found
    return _unique_lines(element.attrib["content"] for element in _SECTION_META(tree))


def _links_text(levels: tuple[list[HtmlElement], ...], href: re.Pattern[str]) -> list[str] | None:
    """trafilatura's extract_catstags: the link texts of the first container level with a matching link.

    None when no level has one (categories then fall back to meta tags); a level whose links have no text gives [].
    """
    for containers in levels:
        results = [block_text(link) for link in _links_in(containers) if href.search(link.attrib["href"])]
        if results:
            return _unique_lines(results)
    return None


def _links_in(containers: list[HtmlElement]) -> list[HtmlElement]:
    """Descendant <a href> of the containers, once each, in document order (containers come in document order)."""
    links: dict[HtmlElement, None] = {}
    for container in containers:
        for link in container.iterdescendants("a"):
            if "href" in link.attrib:
                links[link] = None
    return list(links)


def _unique_lines(values: Iterable[str | None]) -> list[str]:
    return [line for line in dict.fromkeys(line_processing(value) for value in values if value) if line]


def _license(walk: _Walk) -> str | None:
    """trafilatura's extract_license: a rel=license link, else a Creative Commons link in a footer."""
    for link in walk.license_links:
        if "license" in link.get("rel", "").lower().split():
            found = parse_license_element(link, strict=False)
            if found is not None:
                return found
    for link in _links_in(walk.footers):
        if _may_name_a_license(link):
            found = parse_license_element(link, strict=True)
            if found is not None:
                return found
    return None


def _may_name_a_license(link: HtmlElement) -> bool:
    """A cheap superset of what parse_license_element(strict=True) accepts: a Creative Commons path in the link,
    or "cc" / "creative" in its text, matched as its regex matches. It spares the copy of the element that
    its text extraction makes."""
    if LICENSE_REGEX.search(link.get("href", "")):
        return True
    text = "".join(link.itertext())
    if not text.isprintable():  # block_text drops invisible characters: "c\u200bc" becomes "cc"
        text = "".join(char for char in text if char.isprintable())
    return _LICENSE_HINT.search(text) is not None


def _sitename(tree: HtmlElement, metadata: Document) -> str | None:
    sitename = metadata.sitename or extract_sitename(tree)
    if sitename:
        sitename = sitename.lstrip("@")  # a Twitter handle
        if sitename and "." not in sitename and not sitename[0].isupper():
            sitename = sitename.title()
        return sitename or None
    if metadata.url:
        match = META_URL.match(metadata.url)
        if match:
            return match[1]
    return None
