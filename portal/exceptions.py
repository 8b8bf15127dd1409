"""Errors that services raise and views turn into messages."""


class RuleViolation(Exception):
    """A business rule says no; the message (a lazy string) is shown to the user as it is, beside the form
    field named by `field` when the rule is about one input (else at the top of the form)."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self):
        return str(self.message)


class PermissionDenied(Exception):
    """The actor may not do this; views answer 403 (services check again as a guard)."""
