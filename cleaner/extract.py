"""HTML -> Article: trafilatura for the text, `cleaner.metadata` for the metadata, then the clutter rules.

The page is parsed once with lxml; trafilatura gets that tree (or a copy, when its cascade would change it) and the
same tree, as parsed, feeds the metadata and the structural clutter signals. trafilatura is never given a URL to
fetch: it only receives the tree. Both trafilatura imports are lazy, so `import cleaner` stays light.
"""

from __future__ import annotations

import contextlib
import re
import time
from copy import copy
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import xxhash
from lxml import etree
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HTMLParser, HtmlProcessingInstruction, fromstring

from cleaner.clutter import PageStructure, apply_spans, detect_lines
from cleaner.clutter.config import ClutterConfig
from cleaner.config import ExtractConfig
from cleaner.encoding import decode_html, repair_mojibake
from cleaner.errors import ExtractionError
from cleaner.models import Article, RawDocument
from cleaner.pruning import faster_pruning, raw_tree_kept

if TYPE_CHECKING:
    from cleaner.config import Config

# Same settings as trafilatura's own parser (so its output matches a bare run), plus the safety switches spelled out:
# no network access for DTDs/entities, no huge_tree (libxml2's depth/size limits stay on against hostile pages).
_PARSER = HTMLParser(
    collect_ids=False,
    default_doctype=False,
    encoding="utf-8",
    remove_comments=True,
    remove_pis=True,
    no_network=True,
    huge_tree=False,
)
# lxml.html picks each element's class in a Python callback (a form element gets FormElement, and so on), called every
# time lxml hands an element to Python: about 4,000 calls per page through trafilatura. A C-level lookup giving every
# element the same HtmlElement class skips that; nothing here or in trafilatura uses the form-element classes.
_PARSER.set_element_class_lookup(
    etree.ElementDefaultClassLookup(
        element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity
    )
)
# characters XML forbids, one by one: `char in html` is a memchr-speed scan, 31 of them cost less than one regex pass
_INVALID_XML_CHAR_LIST = tuple(chr(code) for code in (*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF))
_INVALID_XML_CHARS = re.compile("[" + re.escape("".join(_INVALID_XML_CHAR_LIST)) + "]")
_DOCTYPE = re.compile(r"<!DOCTYPE.*?>", re.IGNORECASE | re.DOTALL)
_SELF_CLOSED_HTML = re.compile(r"(<html.*?)\s*/>", re.IGNORECASE)
_HAS_TAG = re.compile(r"<[A-Za-z!/?]")
_CHAR_REFERENCE = re.compile(r"&#([0-9]{1,8}|[xX][0-9a-fA-F]{1,8});?")
# an XML document whose root is a feed or a sitemap: trafilatura would run its titles and URLs together as text
_NOT_A_PAGE = re.compile(r"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(rss|feed|urlset|sitemapindex|rdf:RDF)\b", re.S)
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")


def extract_article(
    doc: RawDocument, extract: ExtractConfig, clutter: ClutterConfig, timings: dict[str, float] | None = None
) -> Article:
    """Extract one document; raise ExtractionError(reason, detail) when it cannot become an article.

    `timings`, when given, accumulates seconds per stage (decode, parse, trafilatura, structure, clutter,
    metadata).
    """
    clock = _Clock(timings)
    data = _checked_bytes(doc, extract)
    html = decode_html(data, doc.http_charset)
    clock.lap("decode")
    tree = parse_html(html)
    clock.lap("parse")
    lines = _body_lines(_run_trafilatura(tree, doc.url, extract))
    clock.lap("trafilatura")
    if not lines:
        raise ExtractionError("empty after extraction", "trafilatura found no article text")
    meta, meta_error = _page_metadata(tree, doc.url, extract.extensive_date_search)
    clock.lap("metadata")
    url = doc.url or meta.url or None
    use_structure = clutter.enabled and "structure" in clutter.families
    structure = PageStructure.from_tree(tree, url, meta.title) if use_structure else None
    clock.lap("structure")
    spans = detect_lines(lines, clutter, structure)
    text, removed = apply_spans(lines, spans, clutter)
    text = repair_mojibake(text)  # double-encoded source pages; after detection, which matches lines to the DOM
    clock.lap("clutter")
    if len(text) < extract.min_text_chars:
        raise ExtractionError(
            "empty after extraction", f"{len(text)} characters of text, need {extract.min_text_chars}"
        )
    article = Article(
        id=doc.id,
        source=doc.source,
        url=url,
        text=text,
        title=_clean(repair_mojibake(meta.title or "")),
        author=_clean(repair_mojibake(meta.author or "")),
        site=_site_name(meta, url),
        published=_clean(meta.date),
        language=page_language(tree, text),
        removed=removed,
        metadata=_extra_metadata(meta, clutter, meta_error),
    )
    clock.lap("metadata")
    return article


class _Clock:
    """Adds elapsed seconds per stage into a caller's dict; free when no dict is given."""

    __slots__ = ("_last", "_timings")

    def __init__(self, timings: dict[str, float] | None) -> None:
        self._timings = timings
        self._last = time.perf_counter() if timings is not None else 0.0

    def lap(self, stage: str) -> None:
        if self._timings is None:
            return
        now = time.perf_counter()
        self._timings[stage] = self._timings.get(stage, 0.0) + now - self._last
        self._last = now


def clean_html(html: str | bytes, url: str | None = None, config: Config | None = None) -> Article:
    """Library convenience: one HTML string/bytes -> Article (raises ExtractionError)."""
    from cleaner.config import Config

    config = config or Config()
    data = html.encode("utf-8", "replace") if isinstance(html, str) else html  # lone surrogates become "?"
    key = url if url else xxhash.xxh3_128_hexdigest(data)
    doc_id = xxhash.xxh3_64_hexdigest(key.encode("utf-8") if isinstance(key, str) else key)
    doc = RawDocument(id=doc_id, source=url or "<string>", content=data, url=url)
    return extract_article(doc, config.extract, config.clutter)


_FILLER = "Local councils reviewed the budget for roads, schools and parks over a long evening meeting. "
# A short article beside a long list: trafilatura prunes the list, finds too little text and runs its whole cascade
# down to the justext retry, so every lazily built table (justext stoplists, our compiled rules) is built by this
# one page. Its host name is too short for courlan's regex, so the TLD list is loaded too.
_WARM_UP_PAGE = (
    '<html lang="en"><head><title>Warm-up</title><meta property="og:site_name" content="Warm"></head><body><ul>'
    + "".join(f"<li>{_FILLER * 3}</li>" for _ in range(12))
    + f"</ul><main><h1>Warm-up</h1><p>{_FILLER}</p><p>Also Read: another story</p></main></body></html>"
)


_warm = False


def warm_up(config: Config | None = None) -> None:
    """Extract one built-in page, so that this process holds trafilatura and its lazily built tables.

    Called before forking workers: each then inherits them instead of spending about half a second building
    them again on its first page.
    """
    global _warm
    if _warm:
        return
    with contextlib.suppress(Exception):  # only a speed-up: a real problem shows on the first real page
        clean_html(_WARM_UP_PAGE, "https://abc.example/news/1", config)
    _warm = True


def parse_html(html: str) -> HtmlElement:
    """Parse once with lxml; raise ExtractionError("not html") when there is no markup to parse."""
    if not _HAS_TAG.search(html[:65_536]):
        raise ExtractionError("not html", "no HTML tags in the first 64 KiB")
    feed = _NOT_A_PAGE.match(html[:4096])
    if feed:
        raise ExtractionError("not html", f"an XML <{feed.group(1)}> document (a feed or a sitemap), not a page")
    html = _repair(html)
    try:
        tree = fromstring(html, parser=_PARSER)
    except ValueError:  # "Unicode strings with encoding declaration are not supported"
        tree = _parse_bytes(html)
    except etree.ParserError as exc:
        raise ExtractionError("not html", f"lxml could not parse it ({exc})") from exc
    if tree is None or len(tree) == 0:
        raise ExtractionError("not html", "lxml found no elements")
    return tree


def _parse_bytes(html: str) -> HtmlElement | None:
    try:
        return fromstring(html.encode("utf-8", "surrogatepass"), parser=_PARSER)
    except (ValueError, etree.ParserError):
        return None


def _xml_safe_reference(match: re.Match[str]) -> str:
    number = match.group(1)
    code = int(number[1:], 16) if number[0] in "xX" else int(number)
    # libxml2 turns &#1; or &#xFFFF; into that character; trafilatura then fails to build its XML output and
    # discards the whole page, so a reference to a character XML forbids goes the way of the raw character
    return "" if code < 0x110000 and _INVALID_XML_CHARS.match(chr(code)) else match.group(0)


def _repair(html: str) -> str:
    """The repairs trafilatura applies before parsing (libxml2 stumbles on these), so both see the same tree."""
    if any(char in html for char in _INVALID_XML_CHAR_LIST):  # rare: skip the slow regex pass on clean pages
        html = _INVALID_XML_CHARS.sub("", html)
    html = _CHAR_REFERENCE.sub(_xml_safe_reference, html)
    if "doctype" in html[:50].lower():
        first, _, rest = html.partition("\n")
        html = _DOCTYPE.sub("", first, count=1) + "\n" + rest
    for line in html[:4096].splitlines()[:4]:
        if "<html" in line and line.endswith("/>"):
            html = _SELF_CLOSED_HTML.sub(r"\1>", html, count=1)
            break
    return html


def _checked_bytes(doc: RawDocument, extract: ExtractConfig) -> bytes:
    if doc.content is None:
        raise ExtractionError(doc.error or "unreadable", f"{doc.source} could not be read")
    if not doc.content or doc.content.isspace():  # isspace stops at the first byte of markup; strip copies
        raise ExtractionError("empty file", f"{doc.source} has no content")
    if len(doc.content) > extract.max_html_bytes:
        raise ExtractionError("too large", f"{len(doc.content)} bytes > max_html_bytes={extract.max_html_bytes}")
    return doc.content


def _run_trafilatura(tree: HtmlElement, url: str | None, extract: ExtractConfig) -> str:
    """trafilatura's text of the page, as `bare_extraction(tree, ...)` gives it, without its copy of the tree when
    the copy is not needed; the tree is left as parsed either way.

    bare_extraction deep-copies a tree it is given (0.4-0.5 ms a page) because the raw-tree prunes at the start of
    its cascade change that tree in place. When those find nothing (55-80% of the benchmark pages), the cascade
    runs on our tree itself and leaves it unchanged; otherwise on a copy. The options, cascade, size checks and text
    output are bare_extraction's (`tests/test_extract.py` compares the two on every fixture page).
    """
    from trafilatura.settings import Extractor  # lazy, so `import cleaner` stays light
    from trafilatura.xml import xmltotxt

    options = Extractor(
        output_format="python",
        fast=extract.fast,
        precision=extract.favor_precision,
        recall=extract.favor_recall,
        comments=extract.include_comments,
        tables=extract.include_tables,
        links=False,  # links change trafilatura's output; link evidence comes from our own tree
        dedup=False,
        url=url,
    )  # metadata off: cleaner.metadata finds the same metadata for a fraction of the cost
    try:
        with faster_pruning(), raw_tree_kept(tree, extract.include_comments) as kept:
            body = _cascade(tree if kept else copy(tree), options, url)
        text = None if body is None else xmltotxt(body, options.formatting)
    except (ValueError, TypeError, AssertionError, RecursionError) as exc:
        raise ExtractionError("extraction failed", f"trafilatura: {type(exc).__name__}: {exc}") from exc
    if text is None:
        raise ExtractionError("empty after extraction", "trafilatura returned nothing")
    return text


def _cascade(tree: HtmlElement, options: Any, url: str | None) -> Any:
    """The body element bare_extraction would keep, or None where it discards the page (its own checks)."""
    from trafilatura.core import trafilatura_sequence

    try:
        body, text, _comments_body, comments = trafilatura_sequence(tree, options, url)
    except (ValueError, TypeError):  # bare_extraction catches these and returns nothing
        return None
    if options.max_tree_size and len(body) > options.max_tree_size:
        etree.strip_tags(body, "hi")
        if len(body) > options.max_tree_size:
            return None
    if len(text) < options.min_output_size and len(comments) < options.min_output_comm_size:
        return None
    return body


def _page_metadata(tree: HtmlElement, url: str | None, extensive_date_search: bool) -> tuple[Any, str | None]:
    """The page's metadata, and why it is missing when finding it failed: the article is kept without it."""
    from trafilatura.settings import Document

    from cleaner.metadata import extract_metadata

    try:
        return extract_metadata(tree, url, extensive_date_search), None
    except MemoryError:
        raise  # the worker is in trouble: the run's own handling decides
    except Exception as exc:  # a metadata bug (ours, trafilatura's, htmldate's) must not cost the text
        return Document(), f"{type(exc).__name__}: {exc}"


def _body_lines(text: str) -> list[str]:
    lines = (" ".join(line.split()) for line in text.split("\n"))  # collapses tabs, NBSP and other spaces
    return [line for line in lines if line]


def _clean(value: str | None) -> str | None:
    if not value:
        return None
    value = _SPACES.sub(" ", value).strip()
    return value or None


def _site_name(page: Any, url: str | None) -> str | None:
    name = _clean(page.sitename)
    if name:
        return name
    host = page.hostname
    if url:
        with contextlib.suppress(ValueError):  # a malformed URL in the input must not cost the article
            host = urlsplit(url).hostname or host
    return host.removeprefix("www.") if host else None


def _extra_metadata(page: Any, clutter: ClutterConfig, meta_error: str | None) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    for key in ("description", "categories", "tags", "image", "license", "pagetype"):
        value = getattr(page, key, None)
        if value:
            extra[key] = value
    if page.hostname:
        extra["hostname"] = page.hostname
    if clutter.mark_only:
        extra["clutter_mark_only"] = True
    if meta_error:
        extra["metadata_error"] = meta_error
    return extra


# Language: declared first (html lang, og:locale, content-language), then a cheap script/stopword guess on the text.
_LANG_TAG = re.compile(r"^\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)*\s*$")
_ISO639_2 = {
    "eng": "en",
    "fra": "fr",
    "fre": "fr",
    "deu": "de",
    "ger": "de",
    "spa": "es",
    "por": "pt",
    "ita": "it",
    "nld": "nl",
    "dut": "nl",
    "hin": "hi",
    "urd": "ur",
    "ara": "ar",
    "rus": "ru",
    "tur": "tr",
    "jpn": "ja",
    "zho": "zh",
    "chi": "zh",
    "pol": "pl",
    "swe": "sv",
    "ind": "id",
    "kor": "ko",
    "ukr": "uk",
}
# Only the root and <head>'s own children are searched: a "//meta" scan walks the whole page.
_DECLARED_LANG_XPATH = etree.XPath(
    "/html/@lang"
    "|/html/head/meta[@property='og:locale']/@content"
    "|/html/head/meta[translate(@http-equiv,'CONTENT-LANGUAGE','content-language')='content-language']/@content"
    "|/html/head/meta[@name='language' or @name='Language']/@content"
)
_SCRIPTS = (  # (first code point, last code point, language) for scripts that mostly mean one language in news
    (0x0900, 0x097F, "hi"),
    (0x0980, 0x09FF, "bn"),
    (0x0B80, 0x0BFF, "ta"),
    (0x0E00, 0x0E7F, "th"),
    (0x0590, 0x05FF, "he"),
    (0x0370, 0x03FF, "el"),
    (0x3040, 0x30FF, "ja"),
    (0xAC00, 0xD7AF, "ko"),
    (0x4E00, 0x9FFF, "zh"),
)
_STOPWORDS = {
    "en": "the and of to in is that for was with said on",
    "fr": "le la les des est une dans pour que qui sur pas",
    "de": "der die das und ist nicht mit sich auf für den ein",
    "es": "el la los las que del por una con para es se",
    "pt": "o os as que do da em uma com para não dos",
    "it": "il che della di una per con non sono gli del le",
    "nl": "de het een van en is dat op zijn niet met voor",
    "tr": "ve bir bu da de için ile olarak çok daha gibi",
    "ru": "и в не на что с по это как из он",
    "pl": "i w nie na że się z do jest to jak",
    "id": "dan yang di ini itu dengan untuk dari tidak dalam",
}
_STOPWORD_SETS = {lang: frozenset(words.split()) for lang, words in _STOPWORDS.items()}
_WORD = re.compile(r"\w+")
_LETTER = re.compile(r"[^\W\d_]")
_ARABIC = re.compile("[\u0600-\u06ff]")
_URDU = re.compile("[ٹڈڑںھےۓ]")  # letters Urdu uses and Arabic does not
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_UKRAINIAN = re.compile("[їєґі]")
_KANA = re.compile("[\u3040-\u30ff]")
_SCRIPT_PATTERNS = tuple((re.compile(f"[{chr(low)}-{chr(high)}]"), lang) for low, high, lang in _SCRIPTS)


def page_language(tree: HtmlElement, text: str) -> str | None:
    """ISO 639-1 code: the page's declaration when it has one, else a guess from the text."""
    for value in _DECLARED_LANG_XPATH(tree):  # document order: the html lang attribute comes first
        code = _iso639_1(str(value))
        if code:
            return code
    return guess_language(text)


def _iso639_1(value: str) -> str | None:
    match = _LANG_TAG.match(value.split(",")[0])
    if not match:
        return None
    code = match.group(1).lower()
    return code if len(code) == 2 else _ISO639_2.get(code)


def guess_language(text: str) -> str | None:
    """Script first (cheap and decisive for non-Latin scripts), then the most frequent stopword list."""
    sample = text[:3000]
    script = _script_language(sample)
    if script:
        return script
    words = [w.lower() for w in _WORD.findall(sample)[:400]]
    if len(words) < 5:
        return None
    scores = {lang: sum(w in stop for w in words) for lang, stop in _STOPWORD_SETS.items()}
    best = max(scores, key=lambda lang: scores[lang])
    return best if scores[best] >= 3 else None


def _script_language(sample: str) -> str | None:
    """The language a non-Latin script mostly means in news; regex counts, no per-character Python loop."""
    if sample.isascii():
        return None
    letters = len(_LETTER.findall(sample))
    if not letters:
        return None
    if len(_ARABIC.findall(sample)) > letters / 3:
        return "ur" if _URDU.search(sample) else "ar"
    if len(_CYRILLIC.findall(sample)) > letters / 3:
        return "uk" if _UKRAINIAN.search(sample) else "ru"
    if len(_KANA.findall(sample)) > letters / 20:
        return "ja"
    for pattern, lang in _SCRIPT_PATTERNS:
        if len(pattern.findall(sample)) > letters / 3:
            return lang
    return None
