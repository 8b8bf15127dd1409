from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from portal.forms import InputRequired, PortalForm
from portal.i18n import lazy_gettext as _l
from portal.moderation.models import ReportReason


class ReportForm(PortalForm):
    reason = RadioField(_l("What is wrong?"), choices=[SelectChoice(r.value, r.label) for r in ReportReason],
                        validators=[InputRequired(message=_l("Choose a reason."))])
    text = TextAreaField(_l("Tell us more (needed for “Something else”)"),
                         validators=[Optional(), Length(max=2000)])


class ModerationReasonForm(PortalForm):
    reason = TextAreaField(_l("Reason (the owner will see it)"),
                           validators=[Optional(), Length(max=1000)])


class ReviewForm(PortalForm):
    text = TextAreaField(_l("What have you changed, or why should it be shown again?"),
                         validators=[Optional(), Length(max=2000)])
