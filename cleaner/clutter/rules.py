"""Text rules: promo lead-ins and prompts, each with an id, its languages and a comment on why it exists.

Every rule matches a whole line (one paragraph of extracted text) and only short ones: a promo is one teaser
headline or one call to action, so a rule never fires on a line longer than its `max_words`. Phrases are written
in folded form (see textnorm.fold) and matched against the folded line, from its start.

Guarding content ("prefer missing a promo to deleting a sentence"):
- a lead-in counts only when a separator follows it (`Read more: ...`, `Also Read | ...`) or when it stands alone
  (`RELATED`, `Most read in world news`), so "Related talks stalled..." or "Read more carefully..." never match;
- generic labels (`Video`, `Watch`, `Photos`, `More`) count only standing alone: with a colon they are as often the
  key of a spec line ("Video: 4K/30p") as a promo;
- UI labels (`Sign up`, `Back to blog`) must be the entire line;
- byline/date lines only count in the lead or the tail of an article (before its first or after its last real
  paragraph), where mastheads and signatures sit; a date heading inside a timeline stays.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from cleaner.clutter.textnorm import fold
from cleaner.errors import ConfigError

ANY = "any"
EDGE = "edge"  # only in the lead (before the first real paragraph) or the tail (after the last one)


@dataclass(frozen=True, slots=True)
class TextRule:
    id: str
    languages: tuple[str, ...]
    pattern: re.Pattern[str]
    why: str  # the comment: what the rule catches and why it is safe
    reason: str  # short explanation recorded in each Removal
    max_words: int = 40
    folded: bool = True  # match the folded line; False: the raw line (case-sensitive rules, user rules)
    region: str = ANY
    verify: Callable[[str], bool] | None = None  # a second, exact check on the raw line after the pattern matched
    # Rules whose pattern scans the line (".{0,200}...") list substrings one of which any match contains: checked
    # first, they keep the scan off the many lines that cannot match. Rules without needles are anchored at the
    # line start and share one combined pre-check.
    needles: tuple[str, ...] = ()


# ------------------------------------------------------------------------------------------------ lead-ins
# Lead-ins announcing a link to another article. A separator and a headline follow, or they stand alone.
# fmt: off
READ_ALSO_LEADINS: dict[str, tuple[str, ...]] = {
    "en": (
        "also read", "read also", "read more", "more reading", "further reading", "recommended reading",
        "suggested reading", "see also", "also see", "also on", "related", "related article", "related articles",
        "related story", "related stories", "related news", "related coverage", "related content", "related link",
        "related links", "related reading", "related video", "related videos", "related post", "related posts",
        "recommended for you", "more on this", "more on this story", "more on this topic", "more stories",
        "more news", "must read", "must-read", "don't miss", "do not miss", "editor's pick", "editor's picks",
        "editors' picks", "you may also like", "you might also like", "you may also be interested in",
        "you might be interested in", "you may be interested in", "watch now", "watch live", "watch more",
        "watch video", "listen now", "click here", "in case you missed it", "icymi", "keep reading",
        "continue reading", "explore more", "see more", "view more", "what to read next", "read next",
        "next article", "previous article", "next post", "previous post", "more like this", "other stories",
        "latest stories", "around the web", "from our partners", "read the full story", "read the full article",
        "read our full review", "read the original article",
    ),
    "fr": (
        "lire aussi", "à lire aussi", "lire également", "à lire également", "à lire", "voir aussi", "à voir aussi",
        "sur le même sujet", "lire la suite", "en savoir plus", "pour aller plus loin", "plus d'infos",
        "regardez aussi", "à découvrir", "découvrez aussi", "les plus lus", "notre sélection", "à écouter",
        "lisez aussi", "lisez également", "à lire ensuite",
    ),
    "de": (
        "lesen sie auch", "lesen sie mehr", "lesen sie hier", "lesen sie", "auch interessant",
        "ebenfalls interessant", "mehr zum thema", "mehr dazu", "weiterlesen", "weitere artikel",
        "das könnte sie auch interessieren", "das könnte sie interessieren", "empfehlungen der redaktion",
        "siehe auch", "meistgelesen", "zum thema", "passend zum thema", "auch lesenswert", "lesetipp", "lesetipps",
        "mehr lesen", "hier weiterlesen",
    ),
    "es": (
        "lee también", "lea también", "leer también", "lee además", "lea además", "lee más", "lea más", "leer más",
        "ver también", "vea también", "mira también", "te puede interesar", "también te puede interesar",
        "le puede interesar", "puede interesarte", "te recomendamos", "noticias relacionadas", "más información",
        "lo más leído", "quizás te interese", "sigue leyendo", "no te pierdas", "más noticias", "te sugerimos",
    ),
    "pt": (
        "leia também", "leia mais", "leia ainda", "leia", "veja também", "veja mais", "saiba mais", "confira também",
        "mais lidas", "notícias relacionadas", "você pode gostar", "assista também", "leia a seguir",
    ),
    "it": (
        "leggi anche", "leggi pure", "leggi", "vedi anche", "guarda anche", "potrebbe interessarti",
        "ti potrebbe interessare", "potrebbe interessarti anche", "articoli correlati", "i più letti",
        "approfondisci", "per saperne di più", "continua a leggere", "leggi tutto", "da non perdere",
        "guarda il video", "leggi l'articolo", "leggi anche su",
    ),
    "nl": (
        "lees ook", "lees meer", "lees verder", "lees hier", "zie ook", "bekijk ook", "meer over", "meer hierover",
        "gerelateerde artikelen", "meest gelezen", "ook interessant", "kijk ook", "luister ook", "lees ook dit",
    ),
    "hi": (
        "यह भी पढ़ें", "ये भी पढ़ें", "इसे भी पढ़ें", "इन्हें भी पढ़ें", "और पढ़ें", "पढ़ें", "यह भी देखें",
        "ये भी देखें", "देखें", "संबंधित खबरें", "ज़रूर पढ़ें", "जरूर पढ़ें", "पढ़ें यह भी",
    ),
    "ur": (
        "یہ بھی پڑھیں", "یہ بھی پڑھیے", "یہ بھی پڑھئے", "مزید پڑھیں", "مزید پڑھئے", "اسے بھی پڑھیں", "یہ بھی دیکھیں",
        "متعلقہ خبریں",
    ),
    "ar": (
        "اقرأ أيضا", "إقرأ أيضا", "اقرأ أيضاً", "اقرأ كذلك", "اقرأ المزيد", "شاهد أيضا", "طالع أيضا", "ذات صلة",
        "أخبار ذات صلة", "مواضيع ذات صلة", "الأكثر قراءة", "للمزيد", "اقرأ", "شاهد", "طالع",
    ),
    "fa": ("بیشتر بخوانید", "بخوانید", "ببینید", "مطالب مرتبط",),
    "ru": (
        "читайте также", "читайте еще", "читайте ещё", "читайте", "смотрите также", "см. также", "подробнее",
        "по теме", "также читайте", "читать далее", "читать также", "еще по теме", "ещё по теме", "самое читаемое",
        "новости по теме", "больше новостей", "материалы по теме",
    ),
    "uk": ("читайте також", "дивіться також", "по темі", "більше новин",),
    "tr": (
        "ayrıca okuyun", "ayrıca bakınız", "bunu da okuyun", "bunlar da ilginizi çekebilir", "ilginizi çekebilir",
        "ilgili haberler", "ilgili haber", "daha fazla oku", "devamını oku", "haberin devamı", "en çok okunanlar",
        "okumaya devam et", "bunları da okuyun",
    ),
    "pl": (
        "czytaj też", "czytaj także", "czytaj więcej", "zobacz też", "zobacz także", "przeczytaj też",
        "przeczytaj także",
    ),
    "id": ("baca juga", "baca selengkapnya", "simak juga", "lihat juga", "berita terkait",),
    "sv": ("läs också", "läs mer", "läs även",),
    "da": ("læs også", "læs mere",),
    "no": ("les også", "les mer",),
    "ro": ("citește și", "citeşte şi", "citește mai mult",),
    "cs": ("čtěte také", "přečtěte si také", "čtěte též",),
    "el": ("διαβάστε επίσης", "διαβάστε ακόμα", "διαβάστε ακόμη",),
    "vi": ("xem thêm", "đọc thêm", "tin liên quan",),
    "bn": ("আরও পড়ুন", "আরো পড়ুন",),
    "zh": ("延伸阅读", "相关阅读", "相关新闻", "推荐阅读", "延伸閱讀", "相關新聞",),
    "ja": ("関連記事", "あわせて読みたい", "関連ニュース",),
    "ko": ("관련기사", "관련 기사", "함께 읽기",),
}
# fmt: on

# Labels that only count standing alone: with a separator they are too often a spec key or a section title.
# fmt: off
LABELS_ALONE: tuple[str, ...] = (
    "video", "videos", "photos", "gallery", "photo gallery", "watch", "listen", "podcast", "more", "sponsored",
    "promoted", "trending", "trending now", "popular now", "most popular", "most read", "most viewed", "top stories",
    "recommended", "related topics", "up next", "latest news", "latest", "explore further", "partner content",
    "paid content", "paid post", "sponsored content", "advertiser content", "veja", "relacionado", "relacionados",
    "relacionadas", "correlati", "gerelateerd", "متعلقہ", "смотрите", "ayrıca",
)
# fmt: on

# "Open" lead-ins name a section or an outlet before the separator ("More from The Guardian:", "Most read in world
# news", "Popular on IndieWire"): up to six words may follow, but no sentence punctuation, and what follows the
# separator must not end like a sentence, so "More on that later." and "More on that later: the committee meets
# again in March." stay.
# fmt: off
OPEN_LEADINS: tuple[str, ...] = (
    "more from", "more on", "more in", "more about", "more stories from", "latest from", "also on", "most read in",
    "most popular in", "most viewed in", "top stories in", "popular on", "popular in", "trending on", "trending in",
    "more news from", "more top stories", "more coverage", "more ap", "mehr aus", "plus de", "más de", "mais de",
    "altro da",
)
# fmt: on

# Hyphen-like separators need spaces around them, or "Related-party transactions" would read as "Related - party".
_SEPARATOR = r"(?:\s*[:：|»›>→⟶▶►•=]+\s*|\s+[-–—]+\s+|\s*(?:\.{3}|…)\s*)"
_BULLET = r"[\W_]{0,3}"  # "» Read more", "► Related", "*** Also read", "(Related: ...)"
_ALONE = r"\s*[:.!|»›>→\-–—)\]]*\s*$"


def _alternation(phrases: Iterable[str]) -> str:
    folded = sorted({fold(p) for p in phrases}, key=len, reverse=True)  # longest first: "read more" before "read"
    return "|".join(re.escape(p) for p in folded)


def _leadin_pattern() -> re.Pattern[str]:
    closed = _alternation(p for phrases in READ_ALSO_LEADINS.values() for p in phrases)
    alone = _alternation(LABELS_ALONE)
    open_ = _alternation(OPEN_LEADINS)
    return re.compile(
        rf"{_BULLET}(?:(?:{closed})(?:{_SEPARATOR}\S.*|{_ALONE})"
        rf"|(?:{alone}){_ALONE}"
        rf"|(?:{open_})(?:\s+[^\s:|.!?]+){{0,6}}(?:{_SEPARATOR}\S(?:.*[^.\s])?\s*$|\s*[:|»›>→)\]]*\s*$)"
        rf"|(?:also on|more on|more from|read more on|more at)\s+[\w-]+(?:\.[\w-]+)*\.[a-z]{{2,6}}\s+\S.*)"
    )


# ------------------------------------------------------------------------------------------------ the rules
_MONTHS = (
    "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|july|august|"
    "september|october|november|december|janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|"
    "novembre|décembre|januar|februar|märz|juni|juli|oktober|dezember|enero|febrero|marzo|abril|mayo|junio|julio|"
    "agosto|septiembre|octubre|noviembre|diciembre|janeiro|fevereiro|março|maio|junho|julho|setembro|outubro|"
    "novembro|dezembro|gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre|januari|februari|"
    "maart|mei|augustus"
)
_DATE = (
    rf"(?:\d{{1,4}}[./-]\d{{1,2}}[./-]\d{{1,4}}|\b(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th|er)?\.?\s+(?:de\s+|of\s+)?(?:{_MONTHS})\b|\b\d{{1,2}}:\d{{2}}\b)"
)
_PLATFORMS = (
    r"(?:twitter|facebook|instagram|linkedin|x|tiktok|youtube|telegram|whatsapp|threads|google news|flipboard|"
    r"snapchat|pinterest|bluesky|mastodon|apple podcasts|spotify)"
)


_DATE_RE = re.compile(_DATE, re.IGNORECASE)
_BYLINE_START = re.compile(r"[\W_]{0,3}(?:by|written by|posted by|published by|von|par|por|di|door)\s", re.IGNORECASE)
_LETTER_WORD = re.compile(r"[^\W\d_]+")
# Words a masthead line may carry besides names, dates and times (labels, time zones, weekdays; several languages).
_MASTHEAD_WORDS = frozenset(
    (
        _MONTHS.replace("|", " ")
        + " by written posted published updated update last modified on at am pm a m p est edt pst pdt cst cdt mst"
        " mdt gmt utc bst cet cest ist et pt ct mt hrs ago min mins minutes hours date time de às as le la à um am"
        " st nd rd th er of"  # ordinal dates: "January 22nd, 2019", "1er mars", "3rd of May"
        " el por publicado publicada atualizado atualizada actualizado mis à jour aktualisiert veröffentlicht von"
        " il alle pubblicato aggiornato door op om bijgewerkt gepubliceerd monday tuesday wednesday thursday friday"
        " saturday sunday mon tue tues wed thu thur thurs fri sat sun lundi mardi mercredi jeudi vendredi samedi"
        " dimanche montag dienstag mittwoch donnerstag freitag samstag sonntag lunes martes miércoles jueves viernes"
        " sábado domingo segunda terça quarta quinta sexta feira lunedì martedì mercoledì giovedì venerdì sabato"
        " maandag dinsdag woensdag donderdag vrijdag zaterdag zondag"
    ).split()
)


_BY_NAME = re.compile(r"\b(?:by|von|par|por|di|door)\s+((?:[A-Z][\w'’.-]*\s*){1,4})\W*$", re.IGNORECASE)


def is_masthead(line: str) -> bool:
    """A byline ('By' + at most four capitalised names) or a date line (a date, label words, at most one other
    word, optionally ending 'by' + names). Event lists ('June 17 -- Bridgestone Arena, Nashville') stay."""
    byline = _BYLINE_START.match(line)
    if not (byline or _DATE_RE.search(line)):
        return False
    names = _BY_NAME.search(line)
    head = line[: names.start()] if names else line
    if names and not all(_name_like(word) for word in _LETTER_WORD.findall(names.group(1))):
        return False
    rest = [word for word in _LETTER_WORD.findall(head) if word.casefold() not in _MASTHEAD_WORDS]
    if byline and names:
        return not rest
    return len(rest) <= 1 and all(_name_like(word) for word in rest)


def _name_like(word: str) -> bool:
    return word[0].isupper() or word[0].lower() == word[0].upper()  # capitalised, or an uncased script


# The rule table, in priority order: when several rules match a line, the first listed names the removal.
_ALL_LANGUAGES = tuple(READ_ALSO_LEADINS)
_EUROPEAN = ("en", "fr", "de", "es", "pt", "it", "nl")
RULES: tuple[TextRule, ...] = (
    TextRule(
        "text.read_also",
        _ALL_LANGUAGES,
        _leadin_pattern(),
        "A lead-in such as 'Also Read:' / 'Lire aussi' / 'یہ بھی پڑھیں' before a teaser headline, or alone as a "
        "section label ('Most read in world news'): it announces links to other articles.",
        "promo lead-in announcing another article",
        max_words=40,
    ),
    TextRule(
        "text.read_also_caps",
        ("en",),
        re.compile(
            r"[\W_]{0,3}(?:READ MORE|ALSO READ|READ ALSO|SEE ALSO|RELATED|MORE|WATCH|DON'T MISS|DON’T MISS|"
            r"MUST READ|TRENDING|RECOMMENDED|PHOTOS|VIDEO|LISTEN)\b[\s:]+(?=[\"'‘“A-Z0-9])(?=.*[a-z])"
        ),
        "An all-caps lead-in glued to a headline without a colon ('READ MORE Trump says ...'): the case change is "
        "the separator. The rest must contain lower case, so an all-caps heading does not match.",
        "all-caps promo lead-in before a headline",
        max_words=35,
        folded=False,
    ),
    TextRule(
        "text.teaser_tag",
        ("en",),
        re.compile(
            r".{8,200}\[(?:VIDEO|PICTURES|PICS|PHOTOS|INSIGHT|ANALYSIS|REACTION|REVEALED|LATEST|LIVE|POLL|"
            r"WARNING|UPDATE|EXCLUSIVE|COMMENT|REPORT|NEWS|Video|Photos|Gallery|Podcast)\]\W*$"
        ),
        "Tabloid teaser headlines end in a bracketed kind tag ('... [VIDEO]', '... [INSIGHT]'); article prose "
        "never does.",
        "teaser headline with a [TAG]",
        max_words=30,
        folded=False,
        needles=("[",),
    ),
    TextRule(
        "text.newsletter",
        _EUROPEAN,
        re.compile(
            r"[\W_]{0,3}(?:sign(?:ing)? up|subscribe|register|join|get|receive|enter your e-?mail|"
            r"want more|like what you|love|never miss|stay (?:informed|up to date|in the know|connected)|"
            r"get the latest (?:news|updates|posts|articles|stories|insights) (?:from|about|on)|"
            r"be the first)\b.{0,160}\b(?:newsletters?|inbox|e-?mail alerts?|e-?mail updates|updates from|"
            r"mailing list|"
            r"briefings?|bulletins?|digest)\b"
            r"|[\W_]{0,3}(?:our |the |free |daily |weekly )*newsletters?\W*$"
            r"|[\W_]{0,3}(?:inscrivez-vous|abonnez-vous|newsletter abonnieren|jetzt abonnieren|suscr[íi]bete|"
            r"suscr[íi]base|inscreva-se|assine|iscriviti|schrijf je in|abonneer)\b"
            r"|[\W_]{0,3}(?:thanks|thank you) for (?:signing up|subscribing)"
            r"|[\W_]{0,3}keep an eye on your inbox"
            r"|[\W_]{0,3}(?:here'?s the |click here to |you can |to )?unsubscribe(?: here| at any time| link)?\W*$"
        ),
        "Newsletter sign-up prompts and their widget messages: an imperative (sign up / subscribe / get) and a "
        "newsletter word, from the start of a short line.",
        "newsletter sign-up prompt",
        max_words=45,
    ),
    TextRule(
        "text.newsletter",
        ("en",),
        re.compile(r".{0,300}?[.!?]\s+(?:sign up|subscribe|register) (?:for|to)\b.{0,80}?\bnewsletters?\b"),
        "The closing sentence of a lead or tail note ('... produced by X, a nonprofit newsroom. Sign up for "
        "our newsletter.'): the note is the publisher's, not the story's. Only in the lead or the tail, and "
        "only as a sentence of its own.",
        "newsletter sign-up prompt",
        max_words=60,
        region=EDGE,
        needles=("sign up for", "sign up to", "subscribe to", "subscribe for", "register for", "register to"),
    ),
    TextRule(
        "text.newsletter",
        _EUROPEAN,
        re.compile(
            r".{0,200}\b(?:delivered|sent|straight|right) (?:in)?to your (?:inbox|e-?mail)"
            r"|.{0,40}error processing your subscription"
        ),
        "The scanning half of the newsletter rule: '... delivered to your inbox' anywhere in a short line.",
        "newsletter sign-up prompt",
        max_words=45,
        needles=(
            "to your inbox",
            "into your inbox",
            "to your email",
            "to your e-mail",
            "into your email",
            "processing your subscription",
        ),
    ),
    TextRule(
        "text.follow_us",
        ("en", "fr", "de", "es", "pt", "it", "nl", "ru", "tr", "ar", "hi"),
        re.compile(
            rf"[\W_]{{0,3}}(?:follow|like|join|find|connect with|add|subscribe to)\b.{{0,60}}?\bon\s+{_PLATFORMS}\b"
            rf"|[\W_]{{0,3}}follow\s+@\w+|[\W_]{{0,3}}(?:follow|find|connect with) us\W*$"
            rf"|[\W_]{{0,3}}join (?:the|our) .{{0,40}}"
            rf"\b(?:facebook|linkedin|discord|slack|reddit|telegram|whatsapp)"
            rf" (?:group|page|community|server|channel)"
            rf"|[\W_]{{0,3}}help (?:me|us) spread the word"
            r"|[\W_]{0,3}(?:suivez-nous|folgen sie uns|s[íi]guenos|siga-nos|seguici|volg ons|подписывайтесь|"
            r"bizi takip edin|تابعونا|हमें फॉलो करें)"
            r"|[\W_]{0,3}(?:click|tap)\s+here\s+to\s+(?:follow|join|subscribe|sign up)\b"
            r"|[\W_]{0,3}(?:click|tap)\s+here\s+to\s+(?:get|download)\b.{0,40}\bapp\b"
            r"|[\W_]{0,3}download\s+(?:the|our)\s+[\w\s]{0,30}\bapp\b"
            r"|[\W_]{0,3}(?:join|follow)\s+(?:our|the)\s+[\w\s]{0,30}\b(?:whatsapp|telegram)\s+(?:channel|group)\b"
        ),
        "Follow-us / social / app prompts: an imperative aimed at the reader plus a platform; also the closing "
        "'Follow him on Twitter @x' of an author blurb.",
        "follow-us / app prompt",
        max_words=50,
    ),
    TextRule(
        "text.follow_us",
        ("en",),
        re.compile(r".{0,40}\bby clicking here\W*$"),
        "The scanning half of the follow-us rule: a short prompt ending 'by clicking here'.",
        "follow-us / app prompt",
        max_words=20,
        needles=("by clicking here",),
    ),
    TextRule(
        "text.paywall",
        ("en",),
        re.compile(
            r"[\W_]{0,3}(?:subscribe (?:to|for|now|today)\b"
            r"|this (?:article|story|content) is (?:exclusive|only available|available exclusively) to"
            r"|already (?:have an account|a subscriber|a member)\b|(?:log|sign) in to (?:continue|read|comment)"
            r"|get (?:unlimited |full |instant )?(?:digital )?access to\b|get (?:unlimited|full|instant) access\b"
            r"|become a (?:member|subscriber|patron)\b"
            r"|support (?:our|independent|quality) journalism|if you (?:enjoyed|liked|value|appreciate) this "
            r"(?:article|story|post|piece|content)"
            r"|to continue reading\b|you have reached your (?:free )?(?:article )?limit"
            r"|this (?:story|article|journalism|work|site) is (?:funded|supported|made possible) by "
            r"(?:readers|members|donors|listeners))"
        ),
        "Paywall and membership prompts addressed to the reader.",
        "subscription / paywall prompt",
        max_words=60,
    ),
    TextRule(
        "text.affiliate",
        ("en",),
        re.compile(
            r".{0,120}\b(?:if you (?:buy|purchase) (?:something|anything|a product)|(?:we|\w+) (?:may|might|will) "
            r"(?:earn|get|receive|be paid) (?:a |an )?(?:small )?(?:share of the sale|commission|affiliate)"
            r"|(?:this|our) (?:post|article|page|site|content) (?:may )?contains? affiliate links"
            r"|as an amazon associate|earns? from qualifying purchases"
            r"|(?:purchases|sales) made through (?:our |these )?links"
            r"|(?:is|are) supported by (?:commissions|affiliate)"
            r"|(?:we|i) (?:may|might|will|can) (?:be compensated|receive (?:a )?(?:\w+ )?compensation)"
            r"|compensated when you click)"
        ),
        "Affiliate disclosures: commerce boilerplate added under or above the article, not its content. The "
        "compensation wording needs 'we' or 'I' as its subject ('We may be compensated when you click'), so a "
        "salary story's 'you may receive compensation' stays.",
        "affiliate disclosure",
        max_words=60,
        needles=(
            "if you buy",
            "if you purchase",
            "share of the sale",
            "commission",
            "affiliate",
            "amazon associate",
            "qualifying purchases",
            "made through",
            "compensat",
        ),
    ),
    TextRule(
        "text.ad_marker",
        ("en", "fr", "de", "es", "pt", "it", "nl", "ru", "tr", "ar", "hi", "ur"),
        re.compile(
            r"[\W_]{0,3}(?:advertisement|advertising|advert|ad|ads|sponsored(?: content)?|paid content|"
            r"story continues(?: below)?(?: (?:this|the))?(?: advertisement| ad)?|"
            r"article continues(?: below)?(?: (?:this|the))?(?: advertisement| ad)?|"
            r"continue reading(?: the main story| below| below the ad)?|scroll (?:down )?to continue(?: reading)?|"
            r"skip advert(?:isement)?|advertiser disclosure|anzeige|werbung|publicité|publicidad|pubblicità|"
            r"advertentie|реклама|reklam|إعلان|विज्ञापन|اشتہار)\W*$"
            r"|[\W_]{0,3}(?:advertisement|sponsored|anzeige|publicité)\s*[:|]\s*\S"
        ),
        "Advertisement slot labels and 'story continues below advertisement' markers left in the text.",
        "advertisement marker",
        max_words=12,
    ),
    TextRule(
        "text.share_prompt",
        ("en",),
        re.compile(
            r"[\W_]{0,3}(?:share|tweet|email|e-mail|print|pin it|save|comments?"
            r"|share this(?: article| story| post| page)?"
            r"|share (?:on|via) \w+|click to share(?: on \w+)?|copy link|link copied|share the story|"
            r"print article|email article|share article|order reprints|reprints|leave a comment|add a comment|"
            r"view comments|show comments|join the conversation|have your say|pin for later|"
            r"tell us what you think|what do you think\?|share your story)\W*$"
            r"|[\W_]{0,3}(?:like|enjoyed|love) this (?:story|article|post)\?\s*share"
        ),
        "Sharing / commenting UI labels and prompts that sat next to the body.",
        "share / comment prompt",
        max_words=10,
    ),
    TextRule(
        "text.engagement",
        ("en",),
        re.compile(
            r"[\W_]{0,3}(?:did you (?:make|try|cook|bake) (?:this|one of (?:my|our)|my|our) recipes?"
            r"|rate this recipe"
            r"|(?:let us|let me|tell us) know (?:what you think )?in the comments|leave (?:a|your) comments? below"
            r"|we(?:'d| would) love to hear (?:from you|your thoughts)"
            r"|how (?:was|did you like|would you rate) (?:this|today'?s) (?:issue|newsletter|edition|article|post)"
            r"|was this (?:article|page|post|story) (?:helpful|useful))"
        ),
        "Requests for ratings and comments addressed to the reader.",
        "rating / comment request",
        max_words=40,
    ),
    TextRule(
        "text.engagement",
        ("en",),
        re.compile(
            r".{0,300}?\bif you (?:really )?(?:liked|enjoyed|loved|appreciated|found value in) (?:this|my|our|"
            r"today'?s) (?:article|story|post|piece|essay|newsletter|issue|episode|guide|content)\b"
        ),
        "The scanning half: a closing 'If you liked this article, please share / subscribe' after a sentence "
        "about the publication. Only in the lead or the tail, where the site's own notes sit.",
        "rating / comment request",
        max_words=80,
        region=EDGE,
        needles=(
            "if you liked",
            "if you enjoyed",
            "if you loved",
            "if you appreciated",
            "if you found value",
            "if you really",
        ),
    ),
    TextRule(
        "text.form_consent",
        ("en",),
        re.compile(
            r".{0,200}?\b(?:by (?:entering|submitting|providing|signing up|subscribing|clicking|registering|"
            r"continuing)\b.{0,120}?\byou (?:agree|consent|acknowledge|accept)"
            r"|(?:agree|consent) to (?:our|the)(?: [\w&,]+){0,4} (?:terms (?:of (?:service|use)|(?:and|&) "
            r"conditions)|privacy (?:policy|notice|statement))"
            r"|(?:this|the) (?:site|form|page) is protected by recaptcha)"
        ),
        "The legal small print of a sign-up or contact form ('By entering your email, you agree to ...', "
        "'... agree to our Terms & Conditions and Privacy Policy', reCAPTCHA notices). Only in the lead or the "
        "tail, and only with 'you agree' after 'by <doing>' or a named policy, so 'both sides agree to the "
        "terms' stays.",
        "sign-up form consent text",
        max_words=40,
        region=EDGE,
        needles=(
            "by entering",
            "by submitting",
            "by providing",
            "by signing up",
            "by subscribing",
            "by clicking",
            "by registering",
            "by continuing",
            "agree to",
            "consent to",
            "recaptcha",
        ),
    ),
    TextRule(
        "text.offer",
        ("en",),
        re.compile(
            r"[\W_]{0,3}(?:get|start|begin|try|unlock|claim|save|join|book|schedule|request|talk to|speak to|"
            r"contact|call|grab|download|shop|order|buy|upgrade|sign up|subscribe|enroll|register)\b"
            r".{0,160}?(?:\bfree (?:trial|credits?|quote|consultation|demo|ebook|e-book|guide|estimate|shipping)"
            r"|\d+\s?% off\b|no credit card|\bpromo code\b|\bcoupon code\b|\bdiscount code\b|"
            r"\buse (?:the )?code\b|\blimited[- ]time\b|\bmoney[- ]back\b|\brisk[- ]free\b|"
            r"\bour (?:\w+ ){0,3}(?:experts|specialists|team)\b)"
        ),
        "Marketing calls to action: an imperative to the reader plus an offer (free trial, % off, promo code, "
        "'talk to our experts'). Both are needed, so a review saying a service 'offers a free trial' stays.",
        "marketing call to action",
        max_words=30,
    ),
    TextRule(
        "text.offer",
        ("en",),
        re.compile(
            r".{0,400}?(?:^|[.!?:]\s+)(?:get|save|take|enjoy|claim|receive)\s+(?:an? (?:extra|additional) )?"
            r"(?:up to )?(?:\d+\s?%|[$€£]\s?\d+)\s?off\b.{0,100}?\bcode\b"
        ),
        "The scanning half: a sentence telling the reader to take a discount with a code ('Get $10 off your "
        "first order with code X') closing a site's note about its own product. Only in the lead or the tail; "
        "a deals story reporting that a shop 'offers 25% off with code X' has no imperative and stays.",
        "marketing call to action",
        max_words=80,
        region=EDGE,
        needles=(" off",),
    ),
    TextRule(
        "text.ui_label",
        ("en",),
        re.compile(
            r"[\W_]{0,3}(?:book a demo|(?:sign up|register|subscribe)(?: now| today| for free| here)?|log ?in|"
            r"sign in|get started(?: today| now| for free)?|request a (?:quote|demo)|contact us|learn more|"
            r"shop now|buy now|check (?:the )?price(?: on amazon)?|view (?:on amazon|deal|price)|"
            r"see (?:packages|price|deal|plans|all)|download now|try (?:it )?(?:for )?free|"
            r"start (?:your )?free trial|back to (?:blog|blogs|top|articles|news|home)|"
            r"skip to (?:main )?content|table of contents|in this article|jump to(?: section)?|menu|search|close|"
            r"home|load more|show more|view all|blog index|get the (?:template|checklist|guide)s?|"
            r"about the authors?|"
            r"media contacts?|press contacts?|listen to this (?:article|story)(?: in [\w ]{1,30})?|"
            r"estimated reading time)\W*$"
        ),
        "Navigation and call-to-action button labels: a whole line that is only the label.",
        "navigation / call-to-action label",
        max_words=6,
    ),
    TextRule(
        "text.credit_line",
        ("en",),
        re.compile(
            r"[(\[]?(?:additional |with additional )?(?:reporting|writing|editing|compiled|produced|research)"
            r" by\b"
            r"|(?:the )?(?:associated press|ap|reuters|afp) (?:writers?|reporters?|journalists?) .{0,200}"
            r"(?:contributed|reported)"
            r"|(?:write to|reach|contact|email|e-mail)\b.{0,80}(?:@|\bat\b\s+\S+\.\S+)"
            r"|have a (?:news )?tip\?"
            r"|[\w.+-]+@[\w-]+\.[\w.]+\W*$|(?:https?://)?(?:www\.)?(?:twitter|x)\.com/\w+\W*$"
        ),
        "Reporting credits and reporter contact lines ('(Reporting by ...)', '... contributed to this "
        "report', 'Write to X at x@y.com'): signatures, not the story.",
        "reporting credit / contact line",
        max_words=45,
    ),
    TextRule(
        "text.credit_line",
        ("en",),
        re.compile(r".{0,200}\bcontributed (?:reporting|to this (?:report|story|article))"),
        "The scanning half of the credit rule: '... contributed to this report' at the end of a short line.",
        "reporting credit / contact line",
        max_words=45,
        needles=("contributed",),
    ),
    TextRule(
        "text.byline_date",
        _EUROPEAN,
        re.compile(rf"(?:[\W_]{{0,3}}(?:by|written by|posted by|published by|von|par|por|di|door)\s)|.*?{_DATE}"),
        "Masthead lines in the lead or tail: a byline ('By Jane Doe', 'Written by ...') or a line that is only "
        "a date/time with a few label words ('Updated at 1:23 p.m.', '5:45 AM PST 11/19/2019 by X'). At most "
        "four other words, all capitalised (names), so a sentence that mentions a date never matches.",
        "byline / date line",
        max_words=14,
        region=EDGE,
        verify=is_masthead,
        needles=(
            "by ",
            "By ",
            "BY ",
            "von ",
            "par ",
            "por ",
            "di ",
            "door ",
            "0",
            "1",
            "2",
            "3",
            "4",
            "5",
            "6",
            "7",
            "8",
            "9",
        ),
    ),
    TextRule(
        "text.byline",
        ("en",),
        re.compile(
            r"[\W_]{0,3}(?i:written|posted|published|reviewed|fact[- ]checked|edited|medically reviewed|reported)"
            r" (?i:by)\s+[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3}\W*$"
        ),
        "An explicit byline label ('Written by Jane Doe', 'Reviewed by Dr. X'): a masthead line anywhere.",
        "byline",
        max_words=8,
        folded=False,
    ),
    TextRule(
        "text.follow_author",
        ("en",),
        re.compile(rf".{{0,300}}\bfollow (?:him|her|them|me|us|the author)\s+(?:on\s+{_PLATFORMS}|@\w+)"),
        "The closing 'Follow him on Twitter @x' of an author blurb; only in the lead or the tail, since a "
        "paragraph mid-article may end with such an aside and still be content.",
        "author blurb with a follow prompt",
        max_words=60,
        region=EDGE,
        needles=("follow him", "follow her", "follow them", "follow me", "follow us", "follow the author"),
    ),
    TextRule(
        "text.author_bio",
        ("en",),
        re.compile(
            r"(?:[Hh]i,? I['’]m |I['’]m )?[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){1,3},?\s+(?:is|has been|and I)\b"
            r".{0,120}?\b(?:writer|editor|reporter|journalist|correspondent|contributor|columnist|author|curator|"
            r"producer|photographer|critic|blogger|oversee|cover|covers|covering)\b"
        ),
        "The author blurb at the top or the bottom of an article ('Kimber Streams is a writer who has been "
        "covering laptops...'): about the writer, not the story. Only in the lead or the tail.",
        "author bio",
        max_words=70,
        folded=False,
        region=EDGE,
    ),
    TextRule(
        "text.tags_line",
        _EUROPEAN,
        re.compile(
            r"[\W_]{0,3}(?:tags?|topics?|filed under|categories|category|labels|mots-clés|schlagworte|"
            r"schlagwörter|etiquetas|tag|argomenti|trefwoorden)\s*(?:[:：|]\s*\S.*|\W*$)"
        ),
        "Tag / topic / 'Filed under' lists: taxonomy links, not prose.",
        "tags / topics line",
        max_words=40,
    ),
    TextRule(
        "text.reading_time",
        (*_EUROPEAN, "ru", "tr"),
        re.compile(
            r"[\W_]{0,3}(?:\d+\s*(?:-\s*)?(?:min|mins|minute|minutes|minuten|minutos|minuti)\.?\s+(?:read|lesezeit|"
            r"de lecture|de leitura|de lectura|di lettura|leestijd)"
            r"|(?:reading time|read time|temps de lecture|lesezeit|tiempo de lectura|tempo de leitura|"
            r"tempo di lettura|leestijd|okuma süresi|время чтения)\b)"
        ),
        "Reading-time badges ('4 min read', 'Tempo de leitura: 1 minuto').",
        "reading-time badge",
        max_words=10,
    ),
    TextRule(
        "text.copyright",
        (*_EUROPEAN, "ko"),
        re.compile(
            r"[\W_]{0,3}(?:©|ⓒ|\(c\)|copyright\b)\s*(?:©|ⓒ)?\s*(?:\d{4}|[a-z])"
            r"|this material may not be published, broadcast, rewritten,? or redistributed"
        ),
        "Copyright, rights-reserved and reprint-rights footers.",
        "copyright / rights footer",
        max_words=50,
    ),
    TextRule(
        "text.copyright",
        (*_EUROPEAN, "ko"),
        re.compile(
            r".{0,200}\b(?:all rights reserved|tous droits réservés|alle rechte vorbehalten|"
            r"todos los derechos reservados|todos os direitos reservados|tutti i diritti riservati)\b"
            r"|.{0,100}for your personal,? non-commercial use only"
            r"|.{0,100}무단\s?전재"
        ),
        "The scanning half of the copyright rule: a rights notice anywhere in a short line.",
        "copyright / rights footer",
        max_words=50,
        needles=(
            "rights reserved",
            "droits réservés",
            "rechte vorbehalten",
            "derechos reservados",
            "direitos reservados",
            "diritti riservati",
            "non-commercial use",
            "무단",
        ),
    ),
    TextRule(
        "text.timestamp",
        (),
        re.compile(r"\d{4}-\d{2}-\d{2}[t ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:z|[+-]\d{2}:?\d{2})?\s*$"),
        "A line that is only a machine timestamp (ISO 8601): page metadata leaking into the text. Bare URLs "
        "stay: writers list links as content.",
        "bare machine timestamp",
        max_words=3,
    ),
)
RULE_IDS: frozenset[str] = frozenset(rule.id for rule in RULES)  # a rule may have an anchored and a scanning half


@lru_cache(maxsize=32)
def compile_user_patterns(patterns: tuple[str, ...]) -> tuple[TextRule, ...]:
    """User rules from ClutterConfig.extra_patterns: case-insensitive, matched from the line's start, ids user.N."""
    rules = []
    for number, source in enumerate(patterns, start=1):
        try:
            pattern = re.compile(rf"(?:{source})", re.IGNORECASE)
        except re.error as exc:
            raise ConfigError(f"clutter.extra_patterns[{number - 1}] {source!r} is not a valid regex: {exc}") from exc
        rules.append(
            TextRule(
                f"user.{number}",
                (),
                pattern,
                f"user pattern {source!r}",
                f"user pattern {source!r}",
                max_words=10_000,
                folded=False,
            )
        )
    return tuple(rules)


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Rules compiled for speed; most lines match no rule, so the common path is a few C-level scans:

    - anchored rules share one combined alternation per input form (folded / raw line): one `match` each;
    - a scanning rule is only tried when one of its needles occurs: one `search` over its needles' alternation,
      after its cheap word-count and region checks (a search stops at the first hit; one pass reporting every
      needle of every rule walked each digit of a line with numbers).
    Candidates are then tried in the rules' own order, so the first listed rule still wins.
    """

    rules: tuple[TextRule, ...]
    any_folded: re.Pattern[str] | None
    any_raw: re.Pattern[str] | None
    anchored: tuple[int, ...]  # indices of anchored rules
    # scanning rules: (index, needle alternation, max_words, EDGE only, matches the folded line)
    scanning: tuple[tuple[int, re.Pattern[str], int, bool, bool], ...]
    max_words: int


def _union(patterns: list[str]) -> re.Pattern[str] | None:
    return re.compile("|".join(patterns)) if patterns else None


@lru_cache(maxsize=64)
def rule_set(rules: tuple[TextRule, ...]) -> RuleSet:
    anchored = [index for index, rule in enumerate(rules) if not rule.needles]
    folded = [f"(?:{rules[i].pattern.pattern})" for i in anchored if rules[i].folded]
    raw = [
        f"(?i:{rules[i].pattern.pattern})"
        if rules[i].pattern.flags & re.IGNORECASE
        else f"(?:{rules[i].pattern.pattern})"
        for i in anchored
        if not rules[i].folded
    ]
    scanning = tuple(
        (
            index,
            re.compile("|".join(map(re.escape, rule.needles))),  # only whether one occurs matters, not which
            rule.max_words,
            rule.region == EDGE,
            rule.folded,
        )
        for index, rule in enumerate(rules)
        if rule.needles
    )
    return RuleSet(
        rules,
        _union(folded),
        _union(raw),
        tuple(anchored),
        scanning,
        max((rule.max_words for rule in rules), default=0),
    )


def match_line(line: str, folded: str, words: int, rules: RuleSet, edge: bool = True) -> TextRule | None:
    """The first rule matching the line from its start; EDGE rules only when `edge` (lead or tail position)."""
    if words > rules.max_words:
        return None
    candidates: list[int] = []
    if (rules.any_folded is not None and rules.any_folded.match(folded) is not None) or (
        rules.any_raw is not None and rules.any_raw.match(line) is not None
    ):
        candidates.extend(rules.anchored)
    for index, needles, max_words, edge_only, on_folded in rules.scanning:
        if words <= max_words and (edge or not edge_only) and needles.search(folded if on_folded else line):
            candidates.append(index)
    if not candidates:
        return None
    for index in sorted(candidates):
        rule = rules.rules[index]
        if words > rule.max_words or (rule.region == EDGE and not edge):
            continue
        if (rule.pattern.match(folded) if rule.folded else rule.pattern.match(line)) is None:
            continue
        if rule.verify is None or rule.verify(line):
            return rule
    return None
