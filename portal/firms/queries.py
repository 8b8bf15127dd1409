"""Which firms a viewer may see. The one place the visibility rule is turned into SQL."""
from portal.firms.models import Firm


def visible_firm_filter():
    """Criterion for firms shown to the public: consented to a public listing and not hidden.

    Signed-in members will see more (firms without public consent) once accounts exist.
    """
    return Firm.is_public
