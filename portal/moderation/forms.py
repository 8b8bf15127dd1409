from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from portal.forms import strip
from portal.moderation.models import ReportReason


class ReportForm(FlaskForm):
    reason = RadioField(_l("What is wrong?"), choices=[SelectChoice(r.value, r.label) for r in ReportReason],
                        validators=[InputRequired(message=_l("Choose a reason."))])
    text = TextAreaField(_l("Tell us more (needed for “Something else”)"), filters=[strip],
                         validators=[Optional(), Length(max=2000)])


class ModerationReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason (the owner will see it)"), filters=[strip],
                           validators=[Optional(), Length(max=1000)])


class ReviewForm(FlaskForm):
    text = TextAreaField(_l("What have you changed, or why should it be shown again?"), filters=[strip],
                         validators=[Optional(), Length(max=2000)])
