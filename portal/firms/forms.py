"""The firm profile form and the team invitation form. Input checks only; uniqueness is a service rule."""

from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, Length, Optional, ValidationError

from portal.errors import megabytes
from portal.extensions import db
from portal.firms import logos
from portal.firms.models import FirmSize, LegalForm, Province
from portal.forms import InputRequired, PortalForm, choice_int, email_field
from portal.i18n import current_locale
from portal.i18n import gettext as _
from portal.i18n import lazy_gettext as _l
from portal.thai import BE_OFFSET, bangkok_today, thai_sort_key
from portal.validators import LineId, RegistrationNumber, ThaiPhone, Website


def _text(label, max_length, required=False, description=None, validators=(), **kwargs):
    first = [InputRequired(message=_l("This field is required."))] if required else [Optional()]
    return StringField(label, validators=[*first, Length(max=max_length), *validators],
                       description=description, **kwargs)


def _area(label, max_length, description=None):
    return TextAreaField(label, validators=[Optional(), Length(max=max_length)],
                         description=description)


class YearField(IntegerField):
    """A year in the form's era: the Buddhist Era (A.D. + 543) on a Thai page, A.D. on an English one.

    `data` is always A.D., as stored. A year typed in the other era is understood too (1800-2026 and 2343-2569
    do not overlap), and the field shows it back in the form's era; a refused value is shown as typed.
    """

    @staticmethod
    def offset() -> int:
        return BE_OFFSET if current_locale() == "th" else 0

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and self.data >= 1800 + BE_OFFSET:
            self.data -= BE_OFFSET

    def _value(self):
        if self.data is None or self.errors or self.process_errors:
            return super()._value()
        return str(self.data + self.offset())


class FirmForm(PortalForm):
    name_th = _text(_l("Name in Thai"), 200, required=True,
                    description=_l("As registered, e.g. บริษัท ฟาร์มปลากัดบางกอก จำกัด"))
    name_en = _text(_l("Name in English"), 200,
                    description=_l("Recommended: foreign buyers read English."))
    legal_form = RadioField(
        _l("Legal form"),
        choices=[SelectChoice(f.value, f.label) for f in LegalForm],
        validators=[InputRequired(message=_l("Please choose the legal form."))],
    )
    # No Optional(): it would stop validation before the juristic-person check below.
    registration_number = StringField(
        _l("Juristic person registration number"), validators=[Length(max=20)],
        description=_l("13 digits, for juristic persons (companies and partnerships)."),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    province_id = SelectField(_l("Province"), coerce=choice_int,
                              validators=[InputRequired(message=_l("Please choose a province."))])
    size = RadioField(_l("Size"), choices=[SelectChoice(s.value, s.label) for s in FirmSize],
                      validators=[InputRequired(message=_l("Please choose the size of the firm."))])
    founded_year = YearField(_l("Year founded"), validators=[Optional()], render_kw={"inputmode": "numeric"})
    description_th = _area(_l("About the firm, in Thai"), 5000)
    description_en = _area(_l("About the firm, in English"), 5000)
    products_th = _area(_l("Products and services, in Thai"), 2000)
    products_en = _area(_l("Products and services, in English"), 2000)
    phone = _text(_l("Phone"), 30, validators=[ThaiPhone()],
                  description=_l("A Thai number, e.g. 081 234 5678."), render_kw={"type": "tel", "autocomplete": "tel"})
    contact_email = StringField(
        _l("Contact e-mail"),
        validators=[Optional(), Length(max=254),
                    Email(message=_l("Please enter a valid e-mail address."), check_deliverability=False)],
        render_kw={"inputmode": "email"},
    )
    line_id = _text(_l("LINE ID"), 21, validators=[LineId()])
    website = _text(_l("Website"), 300, validators=[Website()], render_kw={"inputmode": "url"})
    logo = FileField(_l("Logo"), render_kw={"accept": "image/png,image/jpeg,image/webp"})
    public_listing = BooleanField(
        _l("Show this firm's profile publicly"),
        description=_l("With your consent, anyone can see the firm's name, description and products, and find it "
                       "in the directory. Phone, e-mail and LINE are shown only to signed-in members. Without "
                       "consent, only signed-in members see the firm."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        provinces = db.session.scalars(db.select(Province)).all()
        english = current_locale() == "en"
        provinces.sort(key=lambda p: thai_sort_key(p.name_en if english else p.name_th))
        self.province_id.choices = [SelectChoice("", _("Choose a province"))] + [
            SelectChoice(p.id, p.name_en if english else p.name_th) for p in provinces
        ]
        self.founded_year.description = (
            _("In the Buddhist Era (B.E.), e.g. %(year)s.", year=2555) if YearField.offset()
            else _("For example %(year)s.", year=2012))
        self.logo.description = _("PNG, JPEG or WebP, up to %(size)s. A photo from your phone is fine: it is made "
                                  "smaller.", size=megabytes(logos.max_bytes()))

    def validate_province_id(self, field):
        if field.data not in {choice.value for choice in field.choices if choice.value}:
            raise ValidationError(_("Please choose a province."))

    def validate_registration_number(self, field):
        if self.legal_form.data == LegalForm.JURISTIC_PERSON.value:
            if not field.data:
                raise ValidationError(_("A juristic person needs its 13-digit registration number."))
            RegistrationNumber()(self, field)
        else:
            field.data = None  # only juristic persons have one

    def validate_founded_year(self, field):
        if field.data is None:
            return
        this_year = bangkok_today().year  # the year in Thailand, not on the server's clock
        if not 1800 <= field.data <= this_year:
            # A Thai form speaks the Buddhist Era (2343–2569); English, the Common Era (1800–2026).
            offset = YearField.offset()
            raise ValidationError(_("Please enter a year between %(first)s and %(last)s.",
                                    first=1800 + offset, last=this_year + offset))

    def profile_data(self) -> dict:
        """The profile fields as the service expects them."""
        return {
            "name_th": self.name_th.data,
            "name_en": self.name_en.data or None,
            "legal_form": LegalForm(self.legal_form.data),
            "registration_number": self.registration_number.data or None,
            "province_id": self.province_id.data,
            "size": FirmSize(self.size.data),
            "founded_year": self.founded_year.data,
            "description_th": self.description_th.data or None,
            "description_en": self.description_en.data or None,
            "products_th": self.products_th.data or None,
            "products_en": self.products_en.data or None,
            "phone": self.phone.data or None,
            "email": (self.contact_email.data or "").lower() or None,
            "line_id": self.line_id.data or None,
            "website": self.website.data or None,
        }


class InviteForm(PortalForm):
    email = email_field(_l("Colleague's e-mail"))
