"""The locale chain: ?lang, then session, then Accept-Language (English without Thai), then Thai."""
import re

import pytest


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True)).group(1)


@pytest.mark.parametrize(
    "query, accept, expected",
    [
        ("", None, "th"),  # nothing known: Thai
        ("", "en-US,en;q=0.9", "en"),  # browser preference
        ("", "de-DE,de;q=0.9", "en"),  # a browser without Thai: English, not Thai
        ("", "ja-JP,ja;q=0.9", "en"),
        ("", "zh-CN,zh;q=0.9,zh-TW;q=0.8", "en"),
        ("", "th-TH,th;q=0.9", "th"),  # a browser asking for Thai
        ("", "de,th;q=0.5", "th"),  # Thai anywhere in the list beats the English fallback
        ("", "fr,en;q=0.1,th;q=0.5", "th"),  # the browser's order of preference decides
        ("", "en-GB,th;q=0.5", "en"),  # a British browser that also reads Thai: English first, as it asks
        ("", "th_TH,en;q=0.8", "th"),
        ("", "*", "th"),  # anything goes: our default
        ("", ";;;", "th"),  # nothing readable: as if the browser said nothing
        ("", "de,en;q=0.5", "en"),  # best supported match
        ("?lang=en", "th", "en"),  # explicit choice beats the browser
        ("?lang=th", "en", "th"),
        ("?lang=fr", "en", "en"),  # unsupported ?lang is ignored
        ("?lang=", None, "th"),
    ],
)
def test_locale_chain_without_session(client, query, accept, expected):
    headers = {"Accept-Language": accept} if accept else {}
    response = client.get("/" + query, headers=headers)
    assert response.status_code == 200
    assert html_lang(response) == expected


def test_lang_parameter_is_remembered_for_the_visit(client):
    client.get("/?lang=en")
    # No parameter, browser asks for Thai: the remembered choice wins.
    response = client.get("/clusters/", headers={"Accept-Language": "th"})
    assert html_lang(response) == "en"
    assert "Clusters" in response.get_data(as_text=True)
    # A new explicit choice replaces it.
    client.get("/?lang=th")
    assert html_lang(client.get("/clusters/", headers={"Accept-Language": "en"})) == "th"


def test_shared_link_keeps_its_language_over_the_session(client):
    client.get("/?lang=th")
    assert html_lang(client.get("/clusters/betta?lang=en")) == "en"


def test_pages_declare_hreflang_alternates_and_a_language_switch(client):
    body = client.get("/clusters/betta?lang=th").get_data(as_text=True)
    assert 'hreflang="th" href="http://localhost/clusters/betta?lang=th"' in body
    assert 'hreflang="en" href="http://localhost/clusters/betta?lang=en"' in body
    assert 'hreflang="x-default"' in body
    # The switch offers the other language, in that language, and comes back to this page.
    assert re.search(r'<a href="/auth/lang/en\?next=/clusters/betta"[^>]*lang="en"[^>]*>English</a>', body)


def test_language_switch_returns_to_the_page_with_its_other_arguments(client):
    body = client.get("/clusters/betta/members/upstream?page=1&lang=en").get_data(as_text=True)
    link = re.search(r'<a href="(/auth/lang/th[^"]*)"', body).group(1).replace("&amp;", "&")
    response = client.get(link)
    assert response.status_code == 302
    assert response.location == "/clusters/betta/members/upstream?page=1"  # ?lang dropped, page kept
    followed = client.get(response.location, headers={"Accept-Language": "en"})
    assert '<html lang="th">' in followed.get_data(as_text=True)


def test_thai_pages_are_in_thai_and_english_pages_in_english(client):
    thai = client.get("/clusters/betta?lang=th").get_data(as_text=True)
    english = client.get("/clusters/betta?lang=en").get_data(as_text=True)
    for word in ("ต้นน้ำ", "กลางน้ำ", "ปลายน้ำ", "คลัสเตอร์ปลากัด", "สมาคมปลากัดแห่งประเทศไทย"):
        assert word in thai
    for word in ("Upstream", "Midstream", "Downstream", "Betta fish cluster", "Betta Fish Association of Thailand"):
        assert word in english
    assert "Upstream" not in thai
    assert "ต้นน้ำ" not in english.replace('lang="th"', "")  # only the Thai switch label may be Thai


def test_responses_vary_on_language(client):
    response = client.get("/")
    assert "Accept-Language" in response.headers["Vary"]


def test_wtforms_own_messages_come_in_the_users_language(client):
    """WTForms ships no Thai: its built-in messages are read from the portal's catalogue."""
    data = {"name": "ก" * 121, "email": "long.name@example.com", "password": "long enough passphrase",
            "password2": "long enough passphrase", "accept_privacy": "y"}
    thai = client.post("/auth/register?lang=th", data=data).get_data(as_text=True)
    assert "ยาวได้ไม่เกิน 120 ตัวอักษร" in thai and "Field cannot be longer" not in thai
    english = client.post("/auth/register?lang=en", data=data).get_data(as_text=True)
    assert "Field cannot be longer than 120 characters." in english


def test_cached_locale_follows_force_locale_and_refresh(app):
    """current_locale() and the templates' _() are kept per request; a forced or refreshed locale wins at once."""
    from flask import render_template_string, session
    from flask_babel import force_locale, refresh

    from portal.i18n import current_locale

    page = "{{ current_locale() }} {{ _('Directory') }}"
    with app.test_request_context("/"):
        assert render_template_string(page) == "th ทำเนียบกิจการ"
        with force_locale("en"):
            assert current_locale() == "en"
            assert render_template_string(page) == "en Directory"
        assert render_template_string(page) == "th ทำเนียบกิจการ"
        session["locale"] = "en"
        refresh()
        assert current_locale() == "en"
        assert render_template_string(page) == "en Directory"


@pytest.mark.parametrize("where", ["request th", "request en", "app context, forced en", "app context, forced th",
                                   "outside any app"])
def test_the_portals_gettext_translates_as_flask_babels(app, where):
    """portal.i18n's gettext, ngettext, pgettext and their lazy forms (what the views, forms and models import as _,
    _l, _ln and _lp) read the catalogue the request keeps; they give what Flask-Babel's give, wherever they are
    called: a request in either language, a job or an e-mail in a forced language, and outside the app (the text
    as written)."""
    import contextlib

    import flask_babel
    from flask_babel import force_locale

    from portal import i18n

    cases = [("gettext", ("Verified",), {}), ("gettext", ("Asked on %(date)s",), {"date": "<1 ม.ค. 2569>"}),
             ("gettext", ("Not in the catalogue: 100%",), {}),
             ("ngettext", ("%(num)s member firm", "%(num)s member firms", 1), {}),
             ("ngettext", ("%(num)s member firm", "%(num)s member firms", 7), {}),
             ("lazy_gettext", ("Micro",), {}), ("lazy_gettext", ("Open until %(date)s",), {"date": "x"}),
             ("pgettext", ("meeting", "Declined"), {}), ("pgettext", ("meeting", "Not in the catalogue"), {}),
             ("lazy_pgettext", ("meeting", "Declined"), {}),
             ("lazy_ngettext", ("%(num)s member firm", "%(num)s member firms", 1), {}),
             ("lazy_ngettext", ("%(num)s member firm", "%(num)s member firms", 7), {})]
    if where.startswith("request"):
        context = app.test_request_context(f"/?lang={where[-2:]}")
    elif where.startswith("app context"):
        context = contextlib.ExitStack()
        context.enter_context(app.app_context())
        context.enter_context(force_locale(where[-2:]))
    else:
        context = contextlib.nullcontext()
    with context:
        if where.startswith("request"):
            app.preprocess_request()
        for name, args, variables in cases:
            ours, theirs = getattr(i18n, name)(*args, **variables), getattr(flask_babel, name)(*args, **variables)
            assert str(ours) == str(theirs), (name, args)
            assert type(ours) is type(theirs)
        thai = where.endswith("th")
        assert (str(i18n.lazy_gettext("Micro")) == "รายย่อย") is thai
        # the context picks the translation: a declined meeting is not a declined membership request
        assert (str(i18n.lazy_pgettext("meeting", "Declined")) == "ปฏิเสธแล้ว") is thai
        assert (str(i18n.gettext("Declined")) == "ไม่อนุมัติ") is thai


def test_a_lazy_label_made_once_reads_in_each_requests_language(app):
    """A model's labels are lazy strings made once: each request reads them in its own language."""
    from portal.firms.models import FirmSize

    label = FirmSize.MICRO.label
    for lang, expected in (("th", "รายย่อย"), ("en", "Micro"), ("th", "รายย่อย")):
        with app.test_request_context(f"/?lang={lang}"):
            app.preprocess_request()
            assert str(label) == expected


def _kept_enum_labels():
    """Every enum member's label and hint the models keep once built (functools.cached_property)."""
    import enum
    import functools
    import importlib
    import pkgutil

    import portal

    found = []
    for module_info in pkgutil.walk_packages(portal.__path__, "portal."):
        if not module_info.name.endswith(".models"):
            continue
        module = importlib.import_module(module_info.name)
        for kind in vars(module).values():
            if isinstance(kind, type) and issubclass(kind, enum.Enum) and kind.__module__ == module.__name__:
                for name in ("label", "hint"):
                    if isinstance(vars(kind).get(name), functools.cached_property):
                        found += [(member, name) for member in kind]
    return found


def test_every_kept_enum_label_reads_in_each_requests_language(app):
    """The enums' labels are built once and kept: each is a lazy text, read in the language of the request that
    reads it (Thai, English, Thai again), never the language it was first read in; and never rebuilt."""
    labels = _kept_enum_labels()
    assert len(labels) > 40  # the kinds, positions, sizes, statuses... (an empty list would prove nothing)
    kept = [getattr(member, name) for member, name in labels]
    for lang in ("th", "en", "th"):
        with app.test_request_context(f"/?lang={lang}"):
            app.preprocess_request()
            thai = 0
            for (member, name), text in zip(labels, kept, strict=True):
                assert getattr(member, name) is text, (member, name)  # kept, not built again
                english = text._args[-1]  # the msgid (after the context of a pgettext)
                if lang == "en":
                    assert str(text) == english, (member, name)
                else:
                    thai += str(text) != english
            assert lang == "en" or thai == len(labels)  # every label has its Thai
    with app.test_request_context("/?lang=th"):
        app.preprocess_request()
        from portal.collab.models import Kind
        from portal.firms.models import FirmSize

        assert (str(FirmSize.MICRO.label), str(Kind.JOINT_PURCHASING.label)) == ("รายย่อย", "จัดซื้อร่วมกัน")


# (template, variables, Thai, English): each template compiled in each language with its constant texts translated
# (portal.i18n.TranslatedTemplates) gives what the `_()` called at every render gave
COMPILED_TEXTS = [
    ("{{ _('Verified') }}", {}, "ยืนยันแล้ว", "Verified"),
    ("{{ gettext('Verified') }}", {}, "ยืนยันแล้ว", "Verified"),
    # variables are escaped, and formatted at every render
    ("{{ _('Approve %(firm)s', firm=firm) }}", {"firm": "<b>&</b>"}, "อนุมัติ &lt;b&gt;&amp;&lt;/b&gt;",
     "Approve &lt;b&gt;&amp;&lt;/b&gt;"),
    ("{% for firm in firms %}{{ _('Approve %(firm)s', firm=firm) }};{% endfor %}", {"firms": ["A", "B"]},
     "อนุมัติ A;อนุมัติ B;", "Approve A;Approve B;"),
    # a text outside the catalogue is itself; %% is a percent sign, as every gettext call made it
    ("{{ _('Not in the catalogue: 100%%') }}", {}, "Not in the catalogue: 100%", "Not in the catalogue: 100%"),
    # the context picks the translation, and is a variable of its own as in jinja2.ext.i18n
    ("{{ pgettext('meeting', 'Declined') }}|{{ _('Declined') }}", {}, "ปฏิเสธแล้ว|ไม่อนุมัติ", "Declined|Declined"),
    ("{{ pgettext('meeting', 'Not in the catalogue: %(context)s') }}", {}, "Not in the catalogue: meeting",
     "Not in the catalogue: meeting"),
    # a text that is not a constant is translated at render
    ("{{ _(label) }}", {"label": "Verified"}, "ยืนยันแล้ว", "Verified"),
    # a name given its own value in the template is that value, not the catalogue
    ("{% macro shout(_) %}{{ _('Verified') }}{% endmacro %}{{ shout(upper) }}", {"upper": str.upper},
     "VERIFIED", "VERIFIED"),
    ("{% set _ = upper %}{{ _('Verified') }}", {"upper": str.upper}, "VERIFIED", "VERIFIED"),
    ("{% for gettext in [upper] %}{{ gettext('Verified') }}{% endfor %}", {"upper": str.upper},
     "VERIFIED", "VERIFIED"),
    # a text whose variables are missing fails at render, as before
    ("{{ _('Approve %(firm)s') }}", {}, KeyError, KeyError),
]


@pytest.mark.parametrize("source, variables, thai, english", COMPILED_TEXTS)
@pytest.mark.parametrize("where", ["request", "app context, forced"])
def test_templates_are_compiled_in_each_language_with_their_texts_translated(app, source, variables, thai,
                                                                              english, where):
    """The app's templates are compiled once a language with their constant texts in it: what each renders in Thai
    and in English, in a request or in a job or e-mail's forced language, and the language of each compiled
    template kept apart (a template asked for in Thai, then English, then Thai again reads in each)."""
    from flask_babel import force_locale
    from jinja2 import DictLoader

    from portal.i18n import TranslatedTemplates

    assert isinstance(app.jinja_env, TranslatedTemplates)
    env = app.jinja_env.overlay(loader=DictLoader({"case.html": source}))
    for lang, expected in (("th", thai), ("en", english), ("th", thai)):
        context = (app.test_request_context(f"/?lang={lang}") if where == "request" else app.app_context())
        with context, force_locale(lang):
            template = env.get_template("case.html")
            if isinstance(expected, type):
                with pytest.raises(expected):
                    template.render(variables)
            else:
                assert template.render(variables) == expected


def test_a_page_asked_for_in_each_language_in_turn_reads_in_each(client):
    """The same pages in Thai, English and Thai again, each rendered from its language's compiled templates."""
    for lang, title in (("th", "ทำเนียบกิจการ"), ("en", "Directory"), ("th", "ทำเนียบกิจการ")):
        for path in ("/directory/", "/no-such-page"):
            response = client.get(f"{path}?lang={lang}")
            page = response.get_data(as_text=True)
            assert html_lang(response) == lang
            assert title in page
            assert ("Directory" in page) is (lang == "en")
