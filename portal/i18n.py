"""Locale choice, bilingual content columns, and locale-aware display filters (B.E. dates, baht)."""
import math
import weakref
from collections import ChainMap
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from urllib.parse import quote

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_time as babel_format_time
from flask import current_app, g, has_app_context, request, session, url_for
from flask.globals import _cv_app  # the context variable behind `g` (Flask 3.1; see _babel_state)
from flask.templating import Environment as FlaskEnvironment
from flask_babel import format_decimal, get_locale, get_translations
from flask_babel.speaklater import LazyString
from flask_login import current_user
from jinja2 import nodes
from jinja2.visitor import NodeTransformer
from markupsafe import Markup, escape

from portal.thai import be_year, to_bangkok


def languages() -> list[str]:
    return current_app.config["LANGUAGES"]


def select_locale() -> str:
    """The language of this response, first match wins.

    1. `?lang=th|en` on the URL (a shared link keeps its language; `remember_lang` stores it),
    2. the language chosen during this visit (the switch, a `?lang=` link), kept in the session,
    3. the signed-in user's preferred language (stored only by a POST: settings or the signed-in switch),
    4. the browser's Accept-Language: its best supported language, and English when it names no
       language we have (a German, Japanese or Chinese reader gets by better in English than in Thai),
    5. Thai, when the browser says nothing.
    """
    supported = languages()
    if request.args.get("lang") in supported:
        return request.args["lang"]
    if _is_api():  # the JSON API (portal/api/) reads no session: ?lang=, then Accept-Language
        return _from_accept_language(supported)
    if session.get("locale") in supported:
        return session["locale"]
    user = current_user
    if user and user.is_authenticated and user.locale in supported:
        return user.locale
    return _from_accept_language(supported)


def _is_api() -> bool:
    return request.path.startswith("/api/v1/")


def _from_accept_language(supported) -> str:
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not any(lang for lang, _quality in request.accept_languages):
        return default
    for lang, _quality in request.accept_languages:  # most preferred first; en-GB is English, th-TH Thai
        primary = lang.replace("_", "-").split("-")[0].lower()
        if primary in supported:
            return primary
        if primary == "*":  # anything will do: our default
            return default
    return "en" if "en" in supported else default


def remember_lang():
    """before_request: an explicit ?lang= choice is remembered for the rest of the visit."""
    lang = request.args.get("lang")
    if lang in languages() and session.get("locale") != lang and not _is_api():
        session["locale"] = lang


def _babel_state():
    """Flask-Babel's state for this app context (`g._flask_babel`), read from the context itself. Through the
    `g` proxy every read costs about 1 µs: Python first looks the name up on the proxy object, builds the
    AttributeError's message, then werkzeug's proxy finds the context and asks again; current_locale() and
    translations() are asked about 140 times a page. Raises AttributeError when there is no app context or
    Flask-Babel has not set its state yet."""
    ctx = _cv_app.get(None)
    if ctx is None:
        raise AttributeError("_flask_babel")
    return ctx.g._flask_babel


def current_locale() -> str:
    """The response's language code ("th", "en"), asked ~150 times a page (templates, Bilingual columns).

    Flask-Babel's get_locale() goes through three context proxies and str(Locale) each time; this reads
    the request's Babel state once and keeps the code beside the Locale it came from. The cache is checked
    against that Locale object, so force_locale() and refresh() (which replace or drop it) are seen at once.
    """
    try:
        state = _babel_state()
        cached = state.portal_locale
        if cached[0] is state.babel_locale:
            return cached[1]
    except AttributeError:  # first call in this request, or no app context at all
        pass
    locale = get_locale()
    code = str(locale or current_app.config["BABEL_DEFAULT_LOCALE"])
    state = g.get("_flask_babel")
    if state is not None and locale is not None:
        state.portal_locale = (locale, code)
    return code


def translations():
    """The request's gettext catalogue, for the templates' `_()` (~50 calls a page): kept beside the
    Locale and domain it belongs to, so force_locale() and refresh() switch it as they switch the locale."""
    try:
        state = _babel_state()
        cached = state.portal_translations
        if cached[0] is state.babel_locale and cached[1] is state.babel_domain:
            return cached[2]
    except AttributeError:
        pass
    catalogue = get_translations()
    try:
        state = g.get("_flask_babel")
    except RuntimeError:  # no app context: Flask-Babel's catalogue then translates nothing, and is not kept
        return catalogue
    if state is not None and getattr(state, "babel_locale", None) is not None:
        state.portal_translations = (state.babel_locale, getattr(state, "babel_domain", None), catalogue)
    return catalogue


def gettext(string: str, **variables) -> str:
    """Flask-Babel's gettext, through the catalogue translations() keeps for the request: the same text. Flask-Babel
    looks the locale, the domain and the catalogue up again on every call (about 20 µs; this takes about 2), and a
    list page reads dozens of lazy labels (positions, sizes, kinds). Formatted with the variables when there are
    some, as Flask-Babel does (a lone "%" needs no doubling then)."""
    text = translations().ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num, **variables) -> str:
    """Flask-Babel's ngettext through translations(), as gettext: `num` is a variable too."""
    variables.setdefault("num", num)
    return translations().ungettext(singular, plural, num) % variables


def lazy_gettext(string: str, **variables) -> LazyString:
    """Flask-Babel's lazy_gettext (the same LazyString), translated by gettext above when it is read."""
    return LazyString(gettext, string, **variables)


def pgettext(context: str, string: str, **variables) -> str:
    """Flask-Babel's pgettext (a text with a context, such as "meeting" for a meeting's "Declined") through
    translations(), as gettext."""
    text = translations().upgettext(context, string)
    return text % variables if variables else text


def lazy_ngettext(singular: str, plural: str, num, **variables) -> LazyString:
    """Flask-Babel's lazy_ngettext, translated by ngettext above when it is read."""
    return LazyString(ngettext, singular, plural, num, **variables)


def lazy_pgettext(context: str, string: str, **variables) -> LazyString:
    """Flask-Babel's lazy_pgettext, translated by pgettext above when it is read."""
    return LazyString(pgettext, context, string, **variables)


def install_template_gettext(app) -> None:
    """Templates translate through translations() instead of Flask-Babel's per-call look-ups; the
    same catalogues, so every string reads as before."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )


# The names under which templates call gettext and pgettext (jinja2.ext.i18n's, with newstyle=True).
_GETTEXT_NAMES = frozenset({"_", "gettext"})
_FOLDED_NAMES = _GETTEXT_NAMES | {"pgettext"}


class _ConstantTranslations(NodeTransformer):
    """Replaces `_('text')`, `gettext('text')` and `pgettext('context', 'text')` calls whose texts are constants
    with what the newstyle callables would return for the catalogue given: the translated text, marked safe where
    the template escapes, formatted with its variables (`_('Approve %(firm)s', firm=...)` becomes the translated
    text `% {'firm': ...}`, evaluated on each render). Without variables the text is formatted once here, as the
    callable would (`%%` is `%`), and Jinja writes it into the template's code as it is."""

    def __init__(self, catalogue):
        self.catalogue = catalogue

    def visit_Call(self, node):
        node = self.generic_visit(node)
        callee = node.node
        if not (isinstance(callee, nodes.Name) and callee.ctx == "load" and callee.name in _FOLDED_NAMES
                and node.dyn_args is None and node.dyn_kwargs is None
                and all(isinstance(arg, nodes.Const) and isinstance(arg.value, str) for arg in node.args)):
            return node
        texts = [arg.value for arg in node.args]
        variables = [nodes.Pair(nodes.Const(keyword.key), keyword.value, lineno=node.lineno)
                     for keyword in node.kwargs]
        if callee.name in _GETTEXT_NAMES and len(texts) == 1:
            text = self.catalogue.ugettext(texts[0])
        elif callee.name == "pgettext" and len(texts) == 2:
            text = self.catalogue.upgettext(*texts)
            if not any(keyword.key == "context" for keyword in node.kwargs):  # as the newstyle pgettext sets it
                variables.append(nodes.Pair(nodes.Const("context"), nodes.Const(texts[0]), lineno=node.lineno))
        else:
            return node
        if not variables:
            try:
                return nodes.MarkSafeIfAutoescape(nodes.Const(text % {}), lineno=node.lineno)
            except (KeyError, TypeError, ValueError):  # as it fails at every render: left to fail there
                return node
        return nodes.Mod(nodes.MarkSafeIfAutoescape(nodes.Const(text), lineno=node.lineno),
                         nodes.Dict(variables, lineno=node.lineno), lineno=node.lineno)


def _template_locale() -> str | None:
    """The language a template compiled now is translated into: the request's, or the one a job or e-mail forces;
    None outside an app context (or a request whose language cannot be chosen), where nothing is translated
    when compiled."""
    if not has_app_context():
        return None
    try:
        return current_locale()
    except RuntimeError:
        return None


def _assigns_gettext(tree) -> bool:
    """Whether a template gives one of the translating names a value of its own, so that a call may not be the
    global's."""
    assigned = {found.name for found in tree.find_all(nodes.Name) if found.ctx != "load"}
    for imported in tree.find_all((nodes.FromImport, nodes.Import)):
        if isinstance(imported, nodes.Import):
            assigned.add(imported.target)
        else:
            assigned.update(name if isinstance(name, str) else name[1] for name in imported.names)
    return not assigned.isdisjoint(_FOLDED_NAMES)


class TranslatedTemplates(FlaskEnvironment):
    """The app's Jinja environment: each template is compiled once for each language, with its constant texts
    already translated (_ConstantTranslations). A page asks `_()` dozens to hundreds of times (a coordinator's
    queue 217 times: 8 a request waiting), each a look-up of the request's catalogue through the template context;
    compiled in, a constant text costs nothing at render. The texts are the catalogue's, which does not change
    while the process runs (translations/ is compiled before start). Compiled templates are kept by name and
    language; a template that assigns `_`, `gettext` or `pgettext` itself (a `set`, a loop, a macro's argument)
    is compiled with its calls as they are."""

    def __init__(self, app, **options):
        # Every template twice (Thai, English), and once more where one is compiled outside an app context: some
        # 140 templates' 400-odd versions, a number the templates folder bounds. A plain dict keeps them all (cache
        # size -1): Jinja's LRU cache of 400 would drop and recompile some, and any LRU cache finds a template by
        # scanning its queue of keys, each holding a weak reference compared by its referent: about 17 µs a look-up
        # with 300 versions kept, five look-ups a page.
        options.setdefault("cache_size", -1)
        super().__init__(app, **options)

    def make_globals(self, d):
        """Jinja's ChainMap of the template's globals over the environment's, whose keys() is a set. A template
        that imports macros (`{% import "_macros/ui.html" as ui %}`, most pages once or twice) has Jinja subtract
        the imported template's global names from the importer's (Template._get_default_module); from a ChainMap's
        keys view that subtraction tested each of the ~110 names through every map in Python, about 60 µs an
        import, against 2 µs from a set."""
        return _GlobalsChain({} if d is None else d, self.globals)

    def _parse(self, source, name, filename):
        tree = super()._parse(source, name, filename)
        locale = _template_locale()
        if locale is None or _assigns_gettext(tree):
            return tree
        return _ConstantTranslations(translations()).visit(tree)

    def _load_template(self, name, globals):
        """Jinja 3.1's Environment._load_template with the language in the cache key."""
        if self.loader is None:
            raise TypeError("no loader for this environment specified")
        cache_key = (weakref.ref(self.loader), name, _template_locale())
        if self.cache is not None:
            template = self.cache.get(cache_key)
            if template is not None and (not self.auto_reload or template.is_up_to_date):
                if globals:
                    template.globals.update(globals)
                return template
        template = self.loader.load(self, name, self.make_globals(globals))
        if self.cache is not None:
            self.cache[cache_key] = template
        return template


class _GlobalsChain(ChainMap):
    """A template's globals (TranslatedTemplates.make_globals): a ChainMap whose keys are a set, made when asked."""

    def keys(self):
        return set().union(*self.maps)


class LocalizedText(str):
    """A string that knows which language it is in, so templates can mark fallbacks with `lang`."""

    lang: str

    def __new__(cls, value, lang):
        obj = super().__new__(cls, value)
        obj.lang = lang
        return obj


class Bilingual:
    """Expose a `<base>_th`/`<base>_en` column pair in the request's language, falling back to the other."""

    def __init__(self, base):
        self.base = base

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        first, second = ("en", "th") if current_locale() == "en" else ("th", "en")
        for lang in (first, second):
            value = getattr(obj, f"{self.base}_{lang}")
            if value:
                return LocalizedText(value, lang)
        return LocalizedText("", first)


def bilingual_html(text) -> Markup:
    """Render user text, wrapped in <span lang> when it is not in the page's language."""
    lang = getattr(text, "lang", None)
    if lang and lang != current_locale():
        return Markup('<span lang="%s">%s</span>') % (lang, text)
    return escape(text)


# --- dates --------------------------------------------------------------------------------------

def _buddhist_pattern(pattern: str, year_ce: int) -> str:
    """Rewrite a CLDR pattern so its year is in the Buddhist Era and its era reads พ.ศ."""
    out, i, in_quote = [], 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "'":
            in_quote = not in_quote
            out.append(ch)
            i += 1
            continue
        if in_quote or ch not in "yG":
            out.append(ch)
            i += 1
            continue
        run = 1
        while i + run < len(pattern) and pattern[i + run] == ch:
            run += 1
        if ch == "y":
            year = str(be_year(year_ce))
            out.append("'%s'" % (year[-2:] if run == 2 else year))
        else:
            out.append("'พ.ศ.'")
        i += run
    return "".join(out)


def _as_local_date(value) -> date:
    if isinstance(value, datetime):
        return to_bangkok(value).date()
    return value


def format_be_date(value, fmt: str = "medium", locale: str | None = None) -> str:
    """A date in the given locale; in Thai the year is Buddhist Era (9 ก.ย. 2563).

    Datetimes are shown as the date in Bangkok, whatever zone they were stored in.
    """
    if value is None:
        return ""
    return _formatted_date(_as_local_date(value), fmt, locale or current_locale())


@lru_cache(maxsize=8192)
def _formatted_date(day: date, fmt: str, locale: str) -> str:
    """format_be_date's text of one day, kept: Babel takes 60-100 µs a date (a pattern rewritten for the Buddhist
    Era, then formatted), and a list page shows one or two a row (a coordinator's queue 24, the board 20), mostly
    days it showed before. 8,192 days in two languages and a few formats are over ten years of dates."""
    if locale != "th":
        return babel_format_date(day, format=fmt, locale=locale)
    pattern = Locale.parse("th").date_formats[fmt].pattern if fmt in ("short", "medium", "long", "full") else fmt
    return babel_format_date(day, format=_buddhist_pattern(pattern, day.year), locale="th")


def format_be_datetime(value: datetime, fmt: str = "medium", locale: str | None = None) -> str:
    """Date and time in Bangkok time; the Thai year in the Buddhist Era."""
    if value is None:
        return ""
    locale = locale or current_locale()
    local = to_bangkok(value)
    time_part = babel_format_time(local, format="short", locale=locale)
    date_part = format_be_date(local, fmt, locale)
    combo = Locale.parse(locale).datetime_formats.get(fmt, "{1} {0}")
    return str(combo).replace("{1}", date_part).replace("{0}", time_part)


# --- numbers ------------------------------------------------------------------------------------

def format_year(ce_year: int | None) -> str:
    """A calendar year in the page's language: พ.ศ. 2538 in Thai, 1995 in English."""
    if ce_year is None:
        return ""
    if current_locale() == "th":
        return f"พ.ศ. {be_year(ce_year)}"
    return str(ce_year)


_PLAIN_GROUPING: dict[tuple, bool] = {}


def _plain_grouping() -> bool:
    """Whether every language the portal speaks writes numbers as 1,234,567.89 (Thai and English both
    do, in CLDR): then whole numbers and fixed decimals are formatted by Python's own "," grouping, the
    same text Babel gives, without asking for the page's locale and parsing a pattern each time (a map or
    a table of a thousand figures spent most of its rendering there). Read once per set of languages."""
    languages = tuple(current_app.config.get("LANGUAGES") or ())
    plain = _PLAIN_GROUPING.get(languages)
    if plain is None:
        def plain_in(code):
            locale = Locale.parse(code)
            symbols = locale.number_symbols.get("latn", locale.number_symbols)
            return (symbols["group"], symbols["decimal"], symbols["minusSign"]) == (",", ".", "-") \
                and locale.decimal_formats[None].pattern == "#,##0.###"
        plain = _PLAIN_GROUPING[languages] = bool(languages) and all(plain_in(code) for code in languages)
    return plain


def format_number(value, digits: int | None = None) -> str:
    if value is None:
        return ""
    if digits is not None:
        if not isinstance(value, float) and _plain_grouping():
            return format(Decimal(value), f",.{digits}f")
        return format_decimal(value, format="#,##0." + "0" * digits if digits else "#,##0")
    if isinstance(value, int) and _plain_grouping():
        return f"{value:,}"
    return format_decimal(value)


def _amount(value) -> str:
    """1,234,567.50, and whole amounts without ".00": 50,000."""
    value = Decimal(value)
    whole = value == value.to_integral_value()
    if _plain_grouping():
        return format(value, ",.0f" if whole else ",.2f")
    return format_decimal(value, format="#,##0" if whole else "#,##0.00")


def format_baht(value) -> str:
    """An amount of baht in the page's language: 1,234,567.50 บาท / 50,000 baht."""
    if value is None:
        return ""
    return gettext("%(amount)s baht", amount=_amount(value))


def format_baht_range(low, high) -> str:
    """A budget: 50,000–200,000 บาท, the unit written once; one end alone is an amount."""
    if low is None or high is None:
        return format_baht(high if low is None else low)
    if Decimal(low) == Decimal(high):
        return format_baht(low)
    return gettext("%(low)s–%(high)s baht", low=_amount(low), high=_amount(high))


def format_percent(value, digits: int = 1) -> str:
    """A fraction as a percentage in the page's language (0.1875 → 18.8%); "–" when there is none (no
    denominator), which is not the same as 0%."""
    if value is None:
        return "–"
    return format_decimal(Decimal(value) * 100, format="#,##0." + "0" * digits if digits else "#,##0") + "%"


def format_million_baht(value) -> str:
    """Programme figures as OSMEP reports them: 472.12 ล้านบาท / 0 million baht."""
    if value is None:
        return ""
    millions = Decimal(value) / Decimal(1_000_000)
    return gettext("%(amount)s million baht", amount=_amount(millions))


def lang_url(code: str, external: bool = False) -> str:
    """This page's URL in another language: the path with `?lang=` set, other query arguments kept."""
    args = request.args.copy()
    args["lang"] = code
    query = "&".join(
        f"{quote(key)}={quote(value)}" for key, values in args.lists() for value in values
    )
    path = f"{quote(request.path)}?{query}"
    if external:  # hreflang alternates: on the configured base URL, never the request's Host header
        from portal.links import base_url

        return base_url() + path
    return path


def switch_url(code: str) -> str:
    """The language switch: /auth/lang/<code>, coming back to this page without its ?lang."""
    args = request.args.copy()
    args.pop("lang", None)
    query = "&".join(f"{quote(key)}={quote(value)}" for key, values in args.lists() for value in values)
    here = quote(request.path) + (f"?{query}" if query else "")
    return url_for("auth.set_language", code=code, next=here)


def format_wait(seconds: int) -> str:
    """How long to wait, in words and as a Bangkok clock time: "3 นาที (เวลา 14:05 น.)" / "3 minutes (at 14:05)".
    Under a minute in seconds, else in whole minutes rounded up."""
    from portal.db import utcnow

    if seconds < 60:
        words = ngettext("%(num)s second", "%(num)s seconds", seconds)
    else:
        words = ngettext("%(num)s minute", "%(num)s minutes", math.ceil(seconds / 60))
    until = to_bangkok(utcnow() + timedelta(seconds=seconds))
    return gettext("%(wait)s (at %(time)s)", wait=words, time=until.strftime("%H:%M"))
