"""#17.1 and #17.3: free text is cleaned once, by the base form, before any check. A name of spaces is a
missing name (the translated "required" message, nothing saved); stacked repeated marks are collapsed."""
import inspect

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import func, select

import portal.admin.forms
import portal.auth.forms
import portal.collab.forms
import portal.firms.forms
import portal.forms
import portal.memberships.forms
import portal.moderation.forms
from portal.auth.models import User
from portal.extensions import db
from portal.firms.models import Firm
from portal.forms import PortalForm
from tests import factories
from tests.helpers import body
from tests.test_firms import firm_form, owner, owner_client  # noqa: F401  (fixtures)

SPACES = "   \t "


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("module", [portal.forms, portal.admin.forms, portal.auth.forms, portal.collab.forms,
                                    portal.firms.forms, portal.memberships.forms, portal.moderation.forms])
def test_every_form_cleans_its_text_through_the_base_form(module):
    forms = [obj for obj in vars(module).values()
             if inspect.isclass(obj) and issubclass(obj, FlaskForm) and obj.__module__ == module.__name__]
    assert forms
    assert all(issubclass(form, PortalForm) for form in forms), forms


def test_a_name_of_spaces_is_no_name_at_registration(client, app, th):
    response = client.post("/auth/register?lang=th", data={
        "name": SPACES, "email": "space@example.com", "password": factories.PASSWORD,
        "password2": factories.PASSWORD, "accept_privacy": "y"})
    assert response.status_code == 200
    assert th("Please enter your name.") in body(response)
    assert count(app, User) == 0


def test_a_name_of_spaces_is_not_saved_in_settings(client, app):
    with app.app_context():
        factories.user(email="member@example.com", name="สมชาย")
        db.session.commit()
    factories.sign_in(client, "member@example.com")
    response = client.post("/auth/account?lang=en", data={"name": SPACES, "locale": "th", "email_setting": "daily"})
    assert response.status_code == 200 and "Please enter your name." in body(response)
    with app.app_context():
        assert db.session.scalar(select(User.name)) == "สมชาย"


def test_a_firm_with_a_thai_name_of_spaces_and_no_english_name_is_refused(app, owner_client, th):  # noqa: F811
    response = owner_client.post("/firms/new?lang=th", data=firm_form(app, name_th=SPACES, name_en=""))
    assert response.status_code == 200
    assert th("This field is required.") in body(response)
    assert count(app, Firm) == 0


def test_passwords_are_taken_as_typed(client, app):
    password = "  spaces around  "
    response = client.post("/auth/register?lang=en", data={
        "name": "Anna", "email": "anna@example.com", "password": password, "password2": password,
        "accept_privacy": "y"})
    assert response.status_code == 302
    assert factories.sign_in(client, "anna@example.com", password=password).status_code == 302


def test_stacked_tone_marks_are_collapsed_when_a_firm_is_saved(app, owner_client):  # noqa: F811
    response = owner_client.post("/firms/new?lang=th", data=firm_form(
        app, name_th="  ฟาร์มปลาก่่่่่่่า  ", description_th="ปลาสวยที่่่่่สุุุุด"))
    assert response.status_code == 302, body(response)
    with app.app_context():
        firm = db.session.scalar(select(Firm))
        assert firm.name_th == "ฟาร์มปลาก่า"
        assert firm.description_th == "ปลาสวยที่สุด"


def _select_forms(**fields):
    """A PortalForm class with these fields, and the same fields on a plain WTForms form (WTForms' own widget)."""
    from wtforms import Form

    return type("Portal", (PortalForm,), dict(fields)), type("Stock", (Form,), dict(fields))


def _choices(*rows):
    from wtforms.fields.choices import SelectChoice

    return [SelectChoice(*row) for row in rows]


@pytest.mark.parametrize("choices, data", [
    (_choices((1, "หนึ่ง"), (2, "สอง"), (3, "สาม")), 2),  # int values, one selected
    (_choices(("", "— เลือก —"), ("a", "A")), ""),  # the empty placeholder chosen
    (_choices(('x"y', "<b>&\"'</b>"), ("<z>", "")), 'x"y'),  # quotes, markup escaped; an empty label shows the value
    (_choices((True, "Yes"), (False, "No")), False),  # booleans, written as WTForms writes them
    (_choices((10, "เชียงใหม่", None, "ภาคเหนือ"), (20, "ภูเก็ต & กระบี่", None, "ภาคใต้")), 20),  # option groups
    (_choices(("a", "A", {"disabled": True}), ("b", "B")), "b"),  # an option with attributes of its own
])
def test_a_portal_select_writes_the_same_html_as_wtforms(app, choices, data):
    from wtforms import SelectField

    portal_form, stock_form = _select_forms(choice=SelectField(choices=choices, coerce=str))
    with app.test_request_context():
        mine, theirs = portal_form(meta={"csrf": False}, data={"choice": data}), stock_form(data={"choice": data})
        assert type(mine.choice.widget) is portal.forms.Select  # the portal's widget is the one rendering
        assert str(mine.choice(class_="wide")) == str(theirs.choice(class_="wide"))
        assert str(mine.choice()).count(" selected") == 1


def test_a_portal_multiple_select_writes_the_same_html_as_wtforms(app):
    from wtforms import SelectMultipleField

    choices = _choices(("ปลากัด", "ปลากัด <betta>"), ("ผ้า", "ผ้า"), ("3", "3"))
    portal_form, stock_form = _select_forms(many=SelectMultipleField(choices=choices))
    with app.test_request_context():
        chosen = {"many": ["ผ้า", "3"]}
        mine, theirs = portal_form(meta={"csrf": False}, data=chosen), stock_form(data=chosen)
        assert type(mine.many.widget) is portal.forms.Select and mine.many.widget.multiple
        assert str(mine.many(size=3)) == str(theirs.many(size=3))
        assert str(mine.many()).count(" selected") == 2


def test_the_new_request_form_renders_its_selects_with_the_portal_widget(app):
    with app.test_request_context():
        form = portal.collab.forms.RequestForm(meta={"csrf": False})
        selects = [field for field in form if field.type == "SelectField"]
        assert selects and all(type(field.widget) is portal.forms.Select for field in selects)
