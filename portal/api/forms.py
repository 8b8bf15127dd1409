from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, RadioField, StringField
from wtforms.validators import Length, NumberRange

from portal.forms import InputRequired, PortalForm


class TokenForm(PortalForm):
    name = StringField(_l("Name"), description=_l("What the token is for, e.g. the system that will use it."),
                       validators=[InputRequired(), Length(max=80)])
    scope = RadioField(_l("Access"), choices=[("read", _l("Read only")), ("write", _l("Read and write"))],
                       default="read", validators=[InputRequired()])
    days = IntegerField(_l("Days until it expires"), default=90,
                        validators=[InputRequired(), NumberRange(min=1, max=365)])
