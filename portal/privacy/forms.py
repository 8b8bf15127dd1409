"""The acceptance box (registration, LINE registration, the accept page) and the staff search."""
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length

from portal.forms import PortalForm
from portal.i18n import lazy_gettext as _l


def accept_field():
    return BooleanField(
        _l("I have read the privacy notice and accept it"),
        validators=[DataRequired(message=_l("Please read the privacy notice and tick the box to accept it."))],
    )


class AcceptForm(PortalForm):
    accept = accept_field()


class ConsentSearchForm(PortalForm):
    class Meta:
        csrf = False  # a GET search

    email = StringField(_l("E-mail address"), validators=[Length(max=320)])
