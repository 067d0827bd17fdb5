"""HTML -> Article: trafilatura for the text and the metadata (`cleaner.extract.backend`), then the clutter rules.

The page is parsed once with lxml; trafilatura gets that tree (or a copy, when its cascade would change it) and the
same tree, as parsed, feeds the metadata and the structural clutter signals. trafilatura is never given a URL to
fetch: it only receives the tree. trafilatura is imported lazily, so `import cleaner` stays light.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import time
import unicodedata
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from lxml import etree
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HTMLParser, HtmlProcessingInstruction, fromstring

from cleaner.clutter import (
    HEADLINE_RULE,
    LINE_BLOCKS,
    PageStructure,
    Span,
    apply_spans,
    detect_lines,
    settle_text,
    word_units,
)
from cleaner.clutter.config import ClutterConfig
from cleaner.clutter.structure import line_key, non_space_chars, visible_chars
from cleaner.clutter.templates import TEMPLATE_RULE
from cleaner.config import ExtractConfig
from cleaner.errors import ExtractionError, ExtractionStackError
from cleaner.extract.accel.guard import trafilatura_version
from cleaner.extract.backend import EMPTY_AFTER_EXTRACTION, page_metadata, page_text
from cleaner.io.encoding import decode_html, repair_mojibake
from cleaner.models import Article, RawDocument, Removal

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
    checks_recall = _checks_recall(extract)
    lines = _first_lines(tree, doc, extract, checks_recall)
    clock.lap("trafilatura")
    recalled = False
    if checks_recall and len("\n".join(lines)) < extract.min_text_chars:
        # balanced mode found no article here: its recall mode is heard before the page is rejected
        lines, recalled = _recall_lines(tree, doc, extract, lines, 1.0)
        clock.lap("recall")
    if not lines:
        raise ExtractionError(EMPTY_AFTER_EXTRACTION, "trafilatura found no article text")
    _require_length(len("\n".join(lines)), extract)  # clutter removal only shortens it
    meta, meta_error = page_metadata(tree, doc.url, extract, doc.source)
    clock.lap("metadata")
    url = doc.url or meta.url or None
    use_structure = clutter.enabled and "structure" in clutter.families
    structure = PageStructure.from_tree(tree, url, meta.title) if use_structure or checks_recall else None
    keys = [line_key(line) for line in lines] if structure is not None else []
    clock.lap("structure")
    if checks_recall and not recalled and structure is not None:
        if _covers_little(tree, extract, lines, keys, structure):
            lines, recalled = _recall_lines(tree, doc, extract, lines, extract.recall_check_gain)
            keys = [line_key(line) for line in lines] if recalled else keys
        clock.lap("recall")
    if not use_structure:
        structure = None
    spans = detect_lines(lines, clutter, structure, keys)
    text, removed = apply_spans(lines, spans, clutter)
    # The article is its text and its headline (moved to the title field, not lost): a short story whose headline
    # line goes is kept, while a page whose only text is navigation (an error page's menus) has no article.
    _require_length(len(text) + sum(len(r.text) + 1 for r in removed if r.rule == HEADLINE_RULE), extract)
    # double-encoded text the decode could not see (a page read as cp1252 shows it only once decoded); after
    # detection, which matches lines to the DOM
    repaired = repair_mojibake(text)
    if repaired != text:  # a repaired line can read as clutter now: decide again on the text as it is written
        removed = [replace(removal, text=repair_mojibake(removal.text)) for removal in removed]
        text, removed = settle_text(repaired, removed, clutter)
    # then trafilatura's own last step: NFC
    text = _nfc(text)
    removed = [_nfc_removal(removal) for removal in removed]
    blocks = (
        _line_blocks(keys, spans, clutter, structure) if structure is not None and _learns_templates(clutter) else None
    )
    clock.lap("clutter")
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
    if blocks is not None:
        article.metadata[LINE_BLOCKS] = blocks
    if recalled:
        article.metadata[RECALL_MODE] = True
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


RECALL_MODE = "recall_mode"  # metadata: the text is trafilatura's recall-mode text, taken by the recall check


_FILLER = "Local councils reviewed the budget for roads, schools and parks over a long evening meeting. "
# A short article beside a long list: trafilatura prunes the list, finds too little text and runs its whole cascade
# down to the justext retry, so every lazily built table (justext stoplists, our compiled rules) is built by this
# one page. Its host name is too short for courlan's regex, so the TLD list is loaded too. trafilatura 2.3.1 and the
# 2.2.0 development snapshot in ../shared/compat both find its sentence, title and site name: a stack that does not
# is broken.
_CANARY_PAGE = (
    '<html lang="en"><head><title>Warm-up</title><meta property="og:site_name" content="Warm"></head><body><ul>'
    + "".join(f"<li>{_FILLER * 3}</li>" for _ in range(12))
    + f"</ul><main><h1>Warm-up</h1><p>{_FILLER}</p><p>Also Read: another story</p></main></body></html>"
)
_CANARY_MUST_FIND = {"text": _FILLER.strip(), "title": "Warm-up", "site": "Warm"}
_CANARY_SOURCE = "<extraction canary>"
_passed_canary: set[ExtractConfig] = set()


def check_extraction_stack(config: Config | None = None) -> None:
    """The start-up canary: extract one built-in page through the configured path (accelerate, trafilatura options)
    before any input is read. A stack that cannot (an incompatible or broken trafilatura) raises ExtractionStackError
    naming trafilatura and its version, so a run stops (exit 2) instead of rejecting every page.

    Once per process and extraction setting. Called before forking workers, it also leaves this process holding
    trafilatura and its lazily built tables, which each worker inherits instead of building them on its first page.
    """
    from cleaner.config import Config

    config = config or Config()
    extract = dataclasses.replace(config.extract, min_text_chars=0)  # the run's minimum is for real pages
    if extract in _passed_canary:
        return
    clutter = dataclasses.replace(config.clutter, mark_only=True)  # user rules must not remove the canary's lines
    page = _CANARY_PAGE.encode()
    doc = RawDocument(id="canary", source=_CANARY_SOURCE, content=page, url="https://abc.example/news/1")
    try:
        article = extract_article(doc, extract, clutter)
    except (ExtractionStackError, MemoryError):
        raise
    except Exception as exc:  # any failure here is the stack's: the page is built to extract everywhere
        raise _canary_error(extract, _failure(exc)) from exc
    problem = _canary_problem(article)
    if problem:
        raise _canary_error(extract, problem)
    _passed_canary.add(extract)


def _failure(exc: Exception) -> str:
    if isinstance(exc, ExtractionError):
        return f"returned no text ({exc})" if exc.reason == EMPTY_AFTER_EXTRACTION else f"failed ({exc})"
    return f"raised {type(exc).__name__}: {exc}"


def _canary_problem(article: Article) -> str | None:
    if article.metadata.get("metadata_error"):
        return f"found no metadata ({article.metadata['metadata_error']})"
    found = {"text": article.text, "title": article.title or "", "site": article.site or ""}
    missing = [name for name, expected in _CANARY_MUST_FIND.items() if expected not in found[name]]
    return f"lost its {' and '.join(missing)}" if missing else None


def _canary_error(extract: ExtractConfig, problem: str) -> ExtractionStackError:
    return ExtractionStackError(
        f"{stack_name()}: the extraction canary (a built-in page, accelerate = {extract.accelerate}) {problem}. "
        "The extraction stack is broken or incompatible, so no input was read: install a tested trafilatura "
        "(pip install 'trafilatura>=2.3.1,<2.4'), or try accelerate = off"
    )


def stack_name() -> str:
    """The imported trafilatura and its version, "trafilatura X.Y.Z" (a PYTHONPATH entry can shadow the installed
    one), or why it cannot be imported."""
    try:
        return f"trafilatura {trafilatura_version()}"
    except Exception as exc:  # an import that fails is itself the answer
        return f"trafilatura (cannot be imported: {type(exc).__name__}: {exc})"


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


def _body_lines(text: str) -> list[str]:
    lines = (" ".join(line.split()) for line in text.split("\n"))  # collapses tabs, NBSP and other spaces
    return [line for line in lines if line]


def _checks_recall(extract: ExtractConfig) -> bool:
    """The recall check runs in trafilatura's balanced mode only: a caller who chose a focus keeps it."""
    return extract.recall_check_coverage > 0 and not (extract.favor_recall or extract.favor_precision)


def _first_lines(tree: HtmlElement, doc: RawDocument, extract: ExtractConfig, checks_recall: bool) -> list[str]:
    """trafilatura's (balanced mode) lines; none where it finds no text and the recall check may still find some."""
    try:
        return _body_lines(page_text(tree, doc.url, extract, doc.source))
    except ExtractionError as exc:
        if checks_recall and exc.reason == EMPTY_AFTER_EXTRACTION:
            return []
        raise


def _covers_little(
    tree: HtmlElement, extract: ExtractConfig, lines: list[str], keys: list[str], structure: PageStructure
) -> bool:
    """trafilatura's text covers less than `recall_check_coverage` of the text under the article root located in
    the page, no root is found, or it is less than `recall_check_page_share` of the page's visible text (a root
    located around the wrong section covers that section well). Measured in characters other than whitespace.

    Why: trafilatura's balanced mode sometimes keeps only part of an article: its intro without the list that
    follows, one section of a guide, a story without the blocks its CMS classed "teaser". Its recall mode is then
    heard as a second opinion (`_recall_lines`): more of the page by trafilatura's own rules, not by ours; the
    clutter stage treats those lines like any others. A page whose text covers its article never pays for it.
    """
    structure.locate_body_keys(keys, [word_units(line) for line in lines])  # detect_lines reuses this location
    chars = non_space_chars(lines)
    region = structure.body_root_chars()
    if not region or chars < extract.recall_check_coverage * region:
        return True
    body = tree.find("body")
    return chars < extract.recall_check_page_share * visible_chars(body if body is not None else tree)


def _recall_lines(
    tree: HtmlElement, doc: RawDocument, extract: ExtractConfig, lines: list[str], gain: float
) -> tuple[list[str], bool]:
    """(the lines to keep, whether they are trafilatura's recall-mode text): that text where it has at least `gain`
    times the words of `lines` (and any words at all), else `lines`.

    Recall mode runs in trafilatura's fast mode: its own extractor with the recall rules, without the readability
    and justext fallbacks that balanced mode already consulted (a third of the second run's time; on the benchmark
    pages it also keeps a photo gallery's captions out, and finds the same articles)."""
    second_opinion = replace(extract, favor_recall=True, fast=True)
    try:
        recall_lines = _body_lines(page_text(tree, doc.url, second_opinion, doc.source))
    except ExtractionError:  # the second opinion failing leaves the first one standing
        return lines, False
    words = sum(len(line.split()) for line in lines)
    recall_words = sum(len(line.split()) for line in recall_lines)
    if recall_words and recall_words >= gain * words and recall_lines != lines:
        return recall_lines, True
    return lines, False


def _require_length(chars: int, extract: ExtractConfig) -> None:
    if chars < extract.min_text_chars:
        raise ExtractionError(EMPTY_AFTER_EXTRACTION, f"{chars} characters of text, need {extract.min_text_chars}")


def _learns_templates(clutter: ClutterConfig) -> bool:
    return "template" in clutter.families and TEMPLATE_RULE not in clutter.disabled_rules


def _nfc(text: str) -> str:
    """trafilatura ends its own text output with NFC (decomposed umlauts composed); the check is a fast scan."""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def _nfc_removal(removal: Removal) -> Removal:
    text = _nfc(removal.text)
    return removal if text is removal.text else Removal(text, removal.rule, removal.reason)


def _line_blocks(keys: list[str], spans: list[Span], clutter: ClutterConfig, structure: PageStructure) -> str:
    """The block marks of the article's text lines (given as their `line_key`s), packed (see `LINE_BLOCKS`), for
    the site-template step."""
    dropped = set() if clutter.mark_only else {span.line for span in spans}
    return "".join(structure.block_mark(key) for index, key in enumerate(keys) if index not in dropped)


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
