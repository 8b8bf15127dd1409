"""Programme reference data: the 77 provinces, and the clusters of 2020 (B.E. 2563) with their organisations.

Loading is an upsert by natural key (province code, slug), so it can run on every deploy.
"""
import csv
from importlib import resources

from portal import reference
from portal.clusters.models import Cluster, Organisation, OrganisationKind
from portal.extensions import db
from portal.firms.models import Province

ORGANISATIONS = [
    # slug, kind, name_th, name_en
    ("rmutt", "agency", "มหาวิทยาลัยเทคโนโลยีราชมงคลธัญบุรี", "Rajamangala University of Technology Thanyaburi"),
    ("kmutnb", "agency", "มหาวิทยาลัยเทคโนโลยีพระจอมเกล้าพระนครเหนือ",
     "King Mongkut's University of Technology North Bangkok"),
    ("nu", "agency", "มหาวิทยาลัยนเรศวร", "Naresuan University"),
    ("tistr", "agency", "สถาบันวิจัยวิทยาศาสตร์และเทคโนโลยีแห่งประเทศไทย (วว.)",
     "Thailand Institute of Scientific and Technological Research (TISTR)"),
    ("fti", "agency", "สภาอุตสาหกรรมแห่งประเทศไทย", "Federation of Thai Industries"),
    ("thti", "agency", "สถาบันพัฒนาอุตสาหกรรมสิ่งทอ", "Thailand Textile Institute"),
    ("nfi", "agency", "สถาบันอาหาร", "National Food Institute"),
    ("betta-association", "association", "สมาคมปลากัดแห่งประเทศไทย", "Betta Fish Association of Thailand"),
    ("cosplay-association", "association", "สมาคมอุตสาหกรรมคอสเพลย์ไทย", "Thai Cosplay Industry Association"),
]

CLUSTERS = [
    # slug, agency slug, association slug, name_th, name_en, description_th, description_en
    (
        "agritech", "rmutt", None,
        "เทคโนโลยีเพื่อการเกษตร", "Agricultural technology",
        "เครือข่ายเกษตรกรและผู้ผลิตที่นำเทคโนโลยีขั้นต้นมาต่อยอด เช่น ถุงตากแห้งข้าวที่เคลื่อนย้ายได้ "
        "ช่วยลดเวลาตากข้าวเปลือกจาก 5 วันเหลือ 3 วัน และลดค่าแรงได้กว่า 40%",
        "Farmers and makers turning basic technology into tools such as a portable rice-drying bag, "
        "which cuts paddy drying from 5 days to 3 and labour cost by more than 40%.",
    ),
    (
        "betta", "kmutnb", "betta-association",
        "ปลากัด", "Betta fish",
        "ผู้เพาะพันธุ์ ผู้คัดเกรด และผู้ส่งออกปลากัด ร่วมกันยกระดับมาตรฐานปลากัดไทยและจัดประกวดปลากัดสวยงาม "
        "โดยมีเป้าหมายให้ไทยเป็นศูนย์กลางการส่งออกปลากัดในฐานะปลาสวยงาม ซึ่งเป็นที่นิยมในจีน อินเดีย และเยอรมนี",
        "Breeders, graders and exporters raising Thai Betta standards and running beauty contests, "
        "aiming to make Thailand the world's export hub for Betta as an ornamental fish, in demand in "
        "China, India and Germany.",
    ),
    (
        "health-retreatment", "nu", None,
        "การท่องเที่ยวเชิงสุขภาพ (Health Retreatment)", "Health Retreatment",
        "ผู้ประกอบการด้านสุขภาพและความงาม สมุนไพร สปา และที่พักเพื่อการพักฟื้น ร่วมกันสร้างเส้นทางท่องเที่ยวเชิงสุขภาพ",
        "Wellness firms (herbs, spa products, retreats and resorts) building health-tourism routes together.",
    ),
    (
        "ornamental-plants", "tistr", None,
        "ไม้ดอกไม้ประดับ", "Ornamental flowers and plants",
        "ผู้เพาะพันธุ์ ผู้ผลิตวัสดุปลูก และผู้ค้าไม้ดอกไม้ประดับ ร่วมกันพัฒนาคุณภาพและเพิ่มช่องทางส่งออก",
        "Growers, growing-media makers and traders of flowers and ornamental plants improving quality and "
        "opening export channels.",
    ),
    (
        "sport-economy", "fti", None,
        "เศรษฐกิจการกีฬา (Sport Economy)", "Sport Economy",
        "ผู้ผลิตเสื้อผ้าและอุปกรณ์กีฬา ผู้จัดงานวิ่งและการแข่งขัน ร่วมกันสร้างมูลค่าจากเศรษฐกิจการกีฬา",
        "Makers of sportswear and equipment and organisers of races and tournaments growing the sport economy.",
    ),
    (
        "bcg-fashion", "thti", None,
        "แฟชั่นไลฟ์สไตล์ BCG", "BCG Fashion Lifestyle",
        "ผู้ทอผ้า ผู้ย้อมสีธรรมชาติ และแบรนด์แฟชั่น ร่วมกันพัฒนาสินค้าตามแนวเศรษฐกิจชีวภาพ เศรษฐกิจหมุนเวียน และเศรษฐกิจสีเขียว",
        "Weavers, natural dyers and fashion brands developing products under the Bio-Circular-Green economy model.",
    ),
    (
        "coconut-pineapple-garlic", "nfi", None,
        "มะพร้าว สับปะรด และกระเทียม", "Coconut, pineapple and garlic",
        "เกษตรกร ผู้แปรรูป และผู้ส่งออกมะพร้าว สับปะรด และกระเทียม ร่วมกันลดต้นทุนและเพิ่มมูลค่าผลผลิต",
        "Growers, processors and exporters of coconut, pineapple and garlic cutting costs and adding value.",
    ),
    (
        "cosplay", None, "cosplay-association",
        "คอสเพลย์", "Cosplay",
        "ผู้ประกอบการคอสเพลย์ทั้งต้นน้ำ กลางน้ำ ปลายน้ำ ตั้งแต่ผ้า วิก ชุดและพร็อพ ไปจนถึงสตูดิโอและผู้จัดงาน "
        "ร่วมกันผลักดันคอสเพลย์ไทยสู่มาตรฐานระดับโลก",
        "Cosplay firms upstream, midstream and downstream (fabric and wigs, costumes and props, studios and "
        "events) taking Thai cosplay to world standards.",
    ),
]


def load_provinces() -> int:
    """Insert or update the 77 provinces from portal/data/provinces.csv; returns how many changed."""
    existing = {p.code: p for p in db.session.scalars(db.select(Province))}
    changed = 0
    source = resources.files("portal") / "data" / "provinces.csv"
    with source.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            province = existing.get(row["code"])
            if province is None:
                province = Province(code=row["code"])
                db.session.add(province)
            values = {k: row[k] for k in ("name_th", "name_en", "region")}
            if any(getattr(province, k) != v for k, v in values.items()):
                for key, value in values.items():
                    setattr(province, key, value)
                changed += 1
    db.session.flush()
    reference.clear()
    return changed


def _upsert(model, slug, existing: dict, **values) -> tuple[object, bool]:
    obj = existing.get(slug)
    if obj is None:
        obj = model(slug=slug)
        db.session.add(obj)
    changed = any(getattr(obj, k) != v for k, v in values.items())
    for key, value in values.items():
        setattr(obj, key, value)
    return obj, changed


def load_clusters() -> int:
    """Insert or update the organisations and the clusters of 2020; returns how many changed."""
    changed = 0
    orgs = {}
    existing_orgs = {o.slug: o for o in db.session.scalars(db.select(Organisation))}
    existing_clusters = {c.slug: c for c in db.session.scalars(db.select(Cluster))}
    for slug, kind, name_th, name_en in ORGANISATIONS:
        orgs[slug], did = _upsert(
            Organisation, slug, existing_orgs, kind=OrganisationKind(kind), name_th=name_th, name_en=name_en
        )
        changed += did
    db.session.flush()
    for slug, agency, association, name_th, name_en, desc_th, desc_en in CLUSTERS:
        _, did = _upsert(
            Cluster,
            slug,
            existing_clusters,
            name_th=name_th,
            name_en=name_en,
            description_th=desc_th,
            description_en=desc_en,
            agency_id=orgs[agency].id if agency else None,
            association_id=orgs[association].id if association else None,
        )
        changed += did
    db.session.flush()
    reference.clear()
    return changed
