"""One Betta world for the moderation and conflict-of-interest rules (issue #14), shared by the truth tables
(tests/test_permissions_moderation.py) and the page tests (tests/test_moderation_views.py).

    firms (all Betta members):  P  the poster's          R  the responder's       M  the member's
                                C  coordinator_own's     X  the poster's second firm (owner of both)
                                H  hidden by OSMEP staff
    pending Betta requests:     C2 coordinator_own's second firm       N  the applicant's firm
    request Q by P, open;  Q_hidden by P, hidden by staff
      response resp1 by R to Q: message m1 (R writes, never reported), m2 (P writes, reported by R)
      response resp2 by M to Q: reported by the poster
    people: coordinator (Betta, no firm), coordinator_own (Betta; owner of C and C2, editor of P),
            other_coordinator (Cosplay), staff, stranger (no firm), and the firms' owners.
"""
from sqlalchemy import select

from portal.auth.models import Role
from portal.clusters.models import Membership, MembershipStatus, Position
from portal.collab import services as collab
from portal.collab.models import Kind
from portal.db import utcnow
from portal.extensions import db
from portal.moderation import services as moderation
from portal.moderation.models import ReportReason
from tests import factories

PEOPLE = ("stranger", "poster", "responder", "member", "applicant", "coordinator", "coordinator_own",
          "other_coordinator", "staff")
BODY_M1, BODY_M2 = "ข้อความส่วนตัวที่ไม่มีใครรายงาน", "ข้อความที่ถูกรายงาน"
TITLE_HIDDEN = "คำขอที่ถูกซ่อนไว้"


def build() -> dict[str, int]:
    """Create the world in the current app context, commit, and return the ids by name."""
    betta, cosplay = factories.cluster("betta"), factories.cluster("cosplay")
    people = {name: factories.user(email=f"{name}@example.com", locale="en") for name in PEOPLE if name != "staff"}
    people["staff"] = factories.user(email="staff@example.com", role=Role.STAFF, locale="en")
    firms = {name: factories.firm(name_th=f"ฟาร์ม {name}", name_en=f"Farm {name}") for name in "PRMCXH"}
    firms["C2"] = factories.firm(name_th="ฟาร์มที่สองของผู้ประสานงาน")
    firms["N"] = factories.firm(name_th="ฟาร์มผู้สมัคร")
    for firm, person, role in (("P", "poster", "owner"), ("X", "poster", "owner"), ("R", "responder", "owner"),
                               ("M", "member", "owner"), ("C", "coordinator_own", "owner"),
                               ("C2", "coordinator_own", "owner"), ("P", "coordinator_own", "editor"),
                               ("N", "applicant", "owner")):
        factories.team_member(firms[firm], people[person], role)
    for name in "PRMCXH":
        factories.membership(firms[name], betta, Position.UPSTREAM)
    own_pending = factories.membership(firms["C2"], betta, status=MembershipStatus.PENDING)
    other_pending = factories.membership(firms["N"], betta, status=MembershipStatus.PENDING)
    firms["H"].hidden_at, firms["H"].hidden_by_id, firms["H"].hidden_reason = utcnow(), people["staff"].id, "ปลอม"
    factories.term(people["coordinator"], betta)
    factories.term(people["coordinator_own"], betta)
    factories.term(people["other_coordinator"], cosplay)

    def post(title):
        return collab.post_request(people["poster"], firms["P"], {"cluster_id": betta.id, "kind": Kind.KNOWLEDGE,
                                                                 "title_th": title})

    request, hidden = post("หาผู้เพาะพันธุ์ปลากัด"), post(TITLE_HIDDEN)
    resp1 = collab.respond(people["responder"], request, firms["R"], BODY_M1)
    m2 = collab.send_message(people["poster"], resp1, BODY_M2)
    resp2 = collab.respond(people["member"], request, firms["M"], "เราสนใจ")
    moderation.report(people["responder"], "message", m2, ReportReason.OFFENSIVE, None)
    moderation.report(people["poster"], "response", resp2, ReportReason.SPAM, None)
    moderation.report(people["member"], "firm", firms["C"], ReportReason.WRONG_INFORMATION, "ข้อมูลผิด")
    moderation.hide(people["staff"], "request", hidden, "ไม่เกี่ยวกับคลัสเตอร์")
    db.session.commit()
    m1 = db.session.scalar(select(collab.Message.id).where(collab.Message.response_id == resp1.id,
                                                           collab.Message.firm_id == firms["R"].id))
    ids = {name: person.id for name, person in people.items()}
    ids.update({f"firm_{name}": firm.id for name, firm in firms.items()})
    ids.update(request=request.id, request_hidden=hidden.id, resp1=resp1.id, resp2=resp2.id, m1=m1, m2=m2.id,
               own_pending=own_pending.id, other_pending=other_pending.id, betta=betta.id,
               own_membership=db.session.scalar(select(Membership.id).where(
                   Membership.firm_id == firms["C"].id, Membership.cluster_id == betta.id)))
    return ids
