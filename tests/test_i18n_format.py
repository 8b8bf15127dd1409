"""Buddhist Era dates in Bangkok time, and numbers and baht in the locale's format."""
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from flask_babel import force_locale

from portal.i18n import format_baht, format_be_date, format_be_datetime, format_million_baht, format_number
from portal.thai import bangkok_today


@pytest.mark.parametrize(
    "value, fmt, locale, expected",
    [
        (date(2020, 9, 9), "medium", "th", "9 ก.ย. 2563"),
        (date(2020, 9, 9), "long", "th", "9 กันยายน พ.ศ. 2563"),
        (date(2020, 9, 9), "short", "th", "9/9/63"),
        (date(2024, 3, 5), "long", "th", "5 มีนาคม พ.ศ. 2567"),
        (date(2020, 9, 9), "medium", "en", "Sep 9, 2020"),
        (date(2020, 9, 9), "long", "en", "September 9, 2020"),
        (date(1999, 12, 31), "medium", "th", "31 ธ.ค. 2542"),
    ],
)
def test_be_date(ctx, value, fmt, locale, expected):
    assert format_be_date(value, fmt, locale=locale) == expected


@pytest.mark.parametrize(
    "utc, expected",
    [
        (datetime(2020, 9, 8, 16, 59, tzinfo=timezone.utc), "8 ก.ย. 2563"),  # 23:59 in Bangkok
        (datetime(2020, 9, 8, 17, 0, tzinfo=timezone.utc), "9 ก.ย. 2563"),  # 00:00 in Bangkok
        (datetime(2019, 12, 31, 17, 30, tzinfo=timezone.utc), "1 ม.ค. 2563"),  # new year in Bangkok first
    ],
)
def test_be_date_takes_the_day_in_bangkok(ctx, utc, expected):
    assert format_be_date(utc, "medium", locale="th") == expected


def test_be_datetime_shows_bangkok_time(ctx):
    moment = datetime(2020, 9, 8, 17, 30, tzinfo=timezone.utc)
    assert format_be_datetime(moment, locale="th") == "9 ก.ย. 2563 00:30"
    assert format_be_datetime(moment, locale="en") == "Sep 9, 2020, 12:30\u202fAM"


def test_a_day_shown_again_reads_in_each_language_and_format(ctx):
    """Dates are kept formatted (a list shows the same days again and again): the same day asked for in turn in
    both languages and three formats, as a date and as a moment in Bangkok, reads as asked each time."""
    day, moment = date(2020, 9, 9), datetime(2020, 9, 8, 17, 30, tzinfo=timezone.utc)  # 00:30 on the 9th in Bangkok
    expected = {("th", "medium"): "9 ก.ย. 2563", ("en", "medium"): "Sep 9, 2020", ("th", "long"): "9 กันยายน พ.ศ. 2563",
                ("en", "long"): "September 9, 2020", ("th", "short"): "9/9/63", ("en", "short"): "9/9/20"}
    for _ in range(2):
        for (locale, fmt), text in expected.items():
            assert format_be_date(day, fmt, locale=locale) == text
            assert format_be_date(moment, fmt, locale=locale) == text
    for locale, text in (("th", "9 ก.ย. 2563"), ("en", "Sep 9, 2020"), ("th", "9 ก.ย. 2563")):
        with force_locale(locale):
            assert format_be_date(day) == text


def test_no_christian_era_leaks_into_thai(ctx):
    for fmt in ("short", "medium", "long", "full"):
        text = format_be_date(date(2020, 9, 9), fmt, locale="th")
        assert "2020" not in text and "ค.ศ." not in text
        assert "2563" in text or "63" in text


@pytest.mark.parametrize(
    "locale, number, baht, million",
    [
        ("th", "1,234,567", "1,234,567.50 บาท", "472.12 ล้านบาท"),
        ("en", "1,234,567", "1,234,567.50 baht", "472.12 million baht"),
    ],
)
def test_numbers_and_baht(app, locale, number, baht, million):
    with app.test_request_context(f"/?lang={locale}"), force_locale(locale):
        assert format_number(1234567) == number
        assert format_baht("1234567.5") == baht
        assert format_million_baht(472_120_000) == million


def test_home_page_shows_a_buddhist_era_date_in_thai(client):
    body = client.get("/?lang=th").get_data(as_text=True)
    this_year = bangkok_today().year
    assert f"พ.ศ. {this_year + 543}" in body


@pytest.mark.parametrize(
    "locale, whole, budget, one_end, zero",
    [
        ("th", "50,000 บาท", "50,000–200,000 บาท", "50,000 บาท", "0 ล้านบาท"),
        ("en", "50,000 baht", "50,000–200,000 baht", "50,000 baht", "0 million baht"),
    ],
)
def test_whole_amounts_and_budgets_are_written_plainly(app, locale, whole, budget, one_end, zero):
    """#17.12: no ".00" on whole baht, a budget's unit once, and no "0.00 ล้านบาท"."""
    from portal.i18n import format_baht_range

    with app.test_request_context(f"/?lang={locale}"), force_locale(locale):
        assert format_baht(Decimal("50000.00")) == whole
        assert format_baht_range(Decimal("50000.00"), Decimal("200000.00")) == budget
        assert format_baht_range(Decimal("50000"), None) == one_end == format_baht_range(None, 50000)
        assert format_baht_range(50000, 50000) == one_end
        assert format_million_baht(0) == zero
        assert format_million_baht(Decimal("0.00")) == zero
        assert format_million_baht(1_500_000).startswith("1.50")


# value, digits -> the same text as Babel's pattern, whichever path formats it
SAMPLES = [(0, None), (7, None), (-1234, None), (1234567890, None), (1234, 0), (1234, 2), (Decimal("1234.5"), 1),
           (Decimal("-0.005"), 2), (Decimal("2.675"), 2), (Decimal("9999.995"), 2)]


@pytest.mark.parametrize("locale", ["th", "en"])
def test_numbers_match_babel_whether_or_not_the_fast_path_is_taken(app, locale):
    from flask_babel import format_decimal

    from portal import i18n

    def babel(value, digits):
        if digits is None:
            return format_decimal(value)
        return format_decimal(value, format="#,##0." + "0" * digits if digits else "#,##0")

    with app.test_request_context("/"), force_locale(locale):
        assert i18n._plain_grouping()  # Thai and English both write 1,234,567.89
        for value, digits in SAMPLES:
            assert format_number(value, digits) == babel(value, digits), (value, digits)
        for amount in (Decimal("50000"), Decimal("1234567.5"), Decimal("0.125"), Decimal("-12.345")):
            whole = amount == amount.to_integral_value()
            expected = format_decimal(amount, format="#,##0" if whole else "#,##0.00")
            assert i18n._amount(amount) == expected


def test_a_language_that_groups_otherwise_is_formatted_by_babel(app, monkeypatch):
    monkeypatch.setitem(app.config, "LANGUAGES", ["th", "en", "de"])
    with app.test_request_context("/"), force_locale("de"):
        assert format_number(1234567) == "1.234.567"
        assert format_number(Decimal("1234.5"), 2) == "1.234,50"
