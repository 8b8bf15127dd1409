from flask import current_app
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional, ValidationError

from portal.collab.forms import BAHT, BahtField
from portal.collab.models import Aim, OutcomeKind
from portal.followup.models import Stage
from portal.forms import InputRequired, PortalForm, strip
from portal.i18n import lazy_gettext as _l


class AnswerForm(PortalForm):
    stage = RadioField(_l("What came of it?"), choices=[SelectChoice(s.value, s.label) for s in Stage],
                       validators=[InputRequired(message=_l("Choose how far it went."))])
    value = BahtField(_l("Value of the agreement (baht)"), **BAHT)
    kind = RadioField(_l("The value is"), choices=[SelectChoice(k.value, k.label) for k in OutcomeKind],
                      filters=[strip], validators=[Optional()])
    aim = RadioField(_l("Connext aim"), choices=[SelectChoice(a.value, a.label) for a in Aim],
                     filters=[strip], validators=[Optional()])

    def validate(self, extra_validators=None):
        """An agreement needs its value, kind and aim, each asked for beside its own field; other answers
        ignore them."""
        from portal.followup.services import VALUE_NEEDED

        valid = super().validate(extra_validators)
        if self.stage.data == Stage.AGREEMENT.value:
            for field in (self.value, self.kind, self.aim):
                if field.data in (None, "") and not field.errors:
                    field.errors = [*field.errors, str(VALUE_NEEDED)]
                    valid = False
        else:  # what was typed there (even nonsense) is not part of the answer
            for field in (self.value, self.kind, self.aim):
                field.errors, field.data = [], None
            valid = not any(field.errors for field in self)
        return valid

    def validate_value(self, field):
        from portal.collab.services import value_too_high
        from portal.followup.services import VALUE_POSITIVE

        if field.data is not None and field.data <= 0:
            raise ValidationError(str(VALUE_POSITIVE))
        if field.data is not None and field.data > current_app.config["OUTCOME_VALUE_MAX"]:
            raise ValidationError(str(value_too_high()))
