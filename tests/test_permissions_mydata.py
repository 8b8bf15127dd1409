"""Truth tables for "Download my data" and "Delete my account" (issue 24), on the shared cast.

Awkward rows: OSMEP staff and administrators may not download anyone else's export (it is personal data,
not a moderation matter); a suspended user may not (they cannot sign in either); an account due for
deletion may still take its own copy; an erased account may do nothing.
"""
from datetime import timedelta

import pytest

from portal.db import utcnow
from portal.mydata.models import DataExport, ExportStatus
from portal.permissions import can_delete_account, can_download_export, can_request_export
from tests.helpers import WHO
from tests.test_permissions import table

#                    request  download own  download owner's  delete account
RULES = table("""
anonymous            0        0             0                 0
unconfirmed          1        1             0                 1
stranger             1        1             0                 1
owner                1        1             1                 1
editor               1        1             0                 1
owner_of_two         1        1             0                 1
owner_c              1        1             0                 1
coordinator          1        1             0                 1
other_coordinator    1        1             0                 1
ended_coordinator    1        1             0                 1
suspended            0        0             0                 0
staff                1        1             0                 1
admin                1        1             0                 1
owner_h              1        1             0                 1
applicant            1        1             0                 1
""")


def _export(user_id):
    return DataExport(user_id=user_id, status=ExportStatus.READY, requested_at=utcnow(),
                      expires_at=utcnow() + timedelta(days=7))


@pytest.mark.parametrize("who", WHO)
def test_export_and_deletion_rules(roles, who):
    user = roles.users[who]
    owners = _export(roles.users["owner"].id)
    own = _export(getattr(user, "id", None))
    answers = [can_request_export(user), can_download_export(user, own), can_download_export(user, owners),
               can_delete_account(user)]
    assert answers == RULES[who]


@pytest.mark.parametrize(("state", "allowed"), [("pending", True), ("erased", False)])
def test_accounts_due_for_deletion_keep_their_copy_erased_ones_nothing(roles, state, allowed):
    user = roles.users["stranger"]
    user.deletion_due_at = utcnow() + timedelta(days=30)
    if state == "erased":
        user.erased_at = utcnow()
    own = _export(user.id)
    assert can_request_export(user) is allowed and can_download_export(user, own) is allowed
    assert can_delete_account(user) is allowed
