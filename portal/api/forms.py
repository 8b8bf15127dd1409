from wtforms import IntegerField, RadioField, StringField
from wtforms.validators import Length, NumberRange

from portal.forms import InputRequired, PortalForm, email_field
from portal.i18n import lazy_gettext as _l


class TokenForm(PortalForm):
    name = StringField(_l("Name"), description=_l("What the token is for, e.g. the system that will use it."),
                       validators=[InputRequired(), Length(max=80)])
    scope = RadioField(_l("Access"), choices=[("read", _l("Read only")), ("write", _l("Read and write"))],
                       default="read", validators=[InputRequired()])
    days = IntegerField(_l("Days until it expires"), default=90,
                        validators=[InputRequired(), NumberRange(min=1, max=365)])


class ServiceTokenForm(TokenForm):
    name = StringField(_l("System"), description=_l("The OSMEP system that will use the token, e.g. the CRM."),
                       validators=[InputRequired(), Length(max=80)])
    contact_email = email_field(_l("The system's contact e-mail"),
                                description=_l("Whom to ask about the system's use of the token."))
