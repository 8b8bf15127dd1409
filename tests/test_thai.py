"""Thai collation order (in Python and in each database) and the Thai fiscal year."""
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from portal.db import thai_order
from portal.extensions import db
from portal.firms.models import Firm
from portal.thai import fiscal_year, thai_sort_key
from tests import factories

# The 77 provinces in Thai dictionary order, after PyThaiNLP's pythainlp/corpus/provinces.csv, except that
# PyThaiNLP puts พะเยา before พระนครศรีอยุธยา where ICU (PostgreSQL's th collation) and we put พระ… first.
PROVINCES_IN_THAI_ORDER = (
    "กระบี่ กรุงเทพมหานคร กาญจนบุรี กาฬสินธุ์ กำแพงเพชร ขอนแก่น จันทบุรี ฉะเชิงเทรา ชลบุรี ชัยนาท ชัยภูมิ ชุมพร "
    "เชียงราย เชียงใหม่ ตรัง ตราด ตาก นครนายก นครปฐม นครพนม นครราชสีมา นครศรีธรรมราช นครสวรรค์ นนทบุรี นราธิวาส "
    "น่าน บึงกาฬ บุรีรัมย์ ปทุมธานี ประจวบคีรีขันธ์ ปราจีนบุรี ปัตตานี พระนครศรีอยุธยา พะเยา พังงา พัทลุง พิจิตร "
    "พิษณุโลก เพชรบุรี เพชรบูรณ์ แพร่ ภูเก็ต มหาสารคาม มุกดาหาร แม่ฮ่องสอน ยโสธร ยะลา ร้อยเอ็ด ระนอง ระยอง "
    "ราชบุรี ลพบุรี ลำปาง ลำพูน เลย ศรีสะเกษ สกลนคร สงขลา สตูล สมุทรปราการ สมุทรสงคราม สมุทรสาคร สระแก้ว "
    "สระบุรี สิงห์บุรี สุโขทัย สุพรรณบุรี สุราษฎร์ธานี สุรินทร์ หนองคาย หนองบัวลำภู อ่างทอง อำนาจเจริญ อุดรธานี "
    "อุตรดิตถ์ อุทัยธานี อุบลราชธานี"
).split()


def test_leading_vowels_sort_by_their_consonant():
    assert sorted(["ข้าว", "ขา", "ไก่", "เก", "กา"], key=thai_sort_key) == ["กา", "เก", "ไก่", "ขา", "ข้าว"]


def test_provinces_sort_in_dictionary_order():
    shuffled = sorted(PROVINCES_IN_THAI_ORDER)  # code-point order, wrong for Thai
    assert shuffled != PROVINCES_IN_THAI_ORDER
    assert sorted(shuffled, key=thai_sort_key) == PROVINCES_IN_THAI_ORDER


def test_tone_marks_break_ties_only():
    assert sorted(["ร้าน", "ร่าน", "ราน"], key=thai_sort_key) == ["ราน", "ร่าน", "ร้าน"]
    assert sorted(["ข้าว", "ขาวดำ"], key=thai_sort_key) == ["ข้าว", "ขาวดำ"]


def test_thai_before_latin_and_case_insensitive_latin():
    words = ["Zebra", "apple", "ปลากัด", "Betta", "betta", "Éclair", "eclair", "123"]
    assert sorted(words, key=thai_sort_key) == ["123", "ปลากัด", "apple", "betta", "Betta", "eclair", "Éclair", "Zebra"]


NAMES = ["ข้าว", "ขา", "ไก่ชน", "เก", "กา", "แม่", "ฟาร์มปลากัดบางกอก", "Betta Farm", "apple studio", "โรงสี"]


def test_database_orders_thai_like_python(ctx):
    """SQLite (collation from Python) and PostgreSQL (ICU) give the same order as thai_sort_key."""
    for name in NAMES:
        factories.firm(name_th=name)
    db.session.commit()
    ordered = db.session.scalars(select(Firm.name_th).order_by(thai_order(Firm.name_th), Firm.id)).all()
    assert ordered == sorted(NAMES, key=thai_sort_key)


@pytest.mark.parametrize(
    "moment, expected",
    [
        (date(2019, 10, 1), 2563),
        (date(2020, 9, 30), 2563),
        (date(2020, 10, 1), 2564),
        (datetime(2020, 9, 30, 16, 59, tzinfo=timezone.utc), 2563),  # 23:59 on 30 Sep in Bangkok
        (datetime(2020, 9, 30, 17, 0, tzinfo=timezone.utc), 2564),  # 00:00 on 1 Oct in Bangkok
        (datetime(2020, 1, 15, tzinfo=timezone.utc), 2563),
    ],
)
def test_fiscal_year(moment, expected):
    assert fiscal_year(moment) == expected


@pytest.mark.parametrize(("typed", "stored"), [
    ("ก่่่่่่่า", "ก่า"),            # a held key: one tone mark
    ("ก่้า", "ก่า"),               # two tone marks on one consonant: the first typed
    ("สุุุุด", "สุด"),              # below vowel repeated
    ("ที่่่", "ที่"),               # above vowel and tone mark kept, the repeats dropped
    ("น้ำ ปั๊ม กุ๊ก ก์", "น้ำ ปั๊ม กุ๊ก ก์"),  # ordinary words are unchanged
    ("cafe\u0301\u0301\u0301", "cafe\u0301"),  # any combining mark, repeated
    ("", ""),
])
def test_collapse_marks(typed, stored):
    from portal.thai import collapse_marks

    assert collapse_marks(typed) == stored
