"""Forms for the matching day itself: the check-in desk's code and the rating after a held meeting."""
from wtforms import RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from portal.forms import InputRequired, PortalForm
from portal.i18n import lazy_gettext as _l


class CheckinCodeForm(PortalForm):
    code = StringField(_l("Check-in code"), validators=[InputRequired(message=_l("Type the firm's check-in code.")),
                                                        Length(max=20)],
                       description=_l("As printed on the firm's agenda, e.g. ABCD-EFGH."),
                       render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"})


class RatingForm(PortalForm):
    rating = RadioField(_l("How useful was this meeting?"),
                        choices=[SelectChoice("5", _l("5 — very useful")), SelectChoice("4", "4"),
                                 SelectChoice("3", "3"), SelectChoice("2", "2"),
                                 SelectChoice("1", _l("1 — not useful"))],
                        validators=[InputRequired(message=_l("Choose a rating from 1 to 5."))])
    continues = RadioField(_l("Do you want to continue with this firm?"),
                           choices=[SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))],
                           validators=[InputRequired(message=_l("Answer yes or no."))])
