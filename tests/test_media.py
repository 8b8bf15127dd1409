"""Logos live in the database (portal/media): any app node serves them, whatever its own UPLOAD_DIR holds."""
import hashlib
import io
from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from PIL import Image
from sqlalchemy import func, select, text

from config import TestConfig
from portal import create_app
from portal.auth.models import Role
from portal.db import utcnow
from portal.extensions import db
from portal.firms import logos
from portal.firms.models import Firm
from portal.media.models import MediaFile
from tests import factories
from tests.conftest import empty_database_app
from tests.test_firms import firm_form, only_firm, png_bytes

SCRATCH_SCHEMA = "media_migration_check"


@pytest.fixture
def owner_client(app):
    with app.app_context():
        factories.user(email="owner@example.com")
        db.session.commit()
    client = app.test_client()
    assert factories.sign_in(client, "owner@example.com").status_code == 302
    return client


def tmp_path_of(app) -> Path:
    return Path(app.config["UPLOAD_DIR"])


def upload(client, app, content: bytes, path="/firms/new", **overrides):
    data = firm_form(app, **overrides)
    data["logo"] = (io.BytesIO(content), "logo.png")
    return client.post(path, data=data, content_type="multipart/form-data")


def media_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(MediaFile))


@pytest.fixture
def node_b(app, tmp_path):
    """A second app on the same database with its own, empty instance folder: another node."""
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        UPLOAD_DIR = str(tmp_path / "node-b-uploads")

    other = create_app(Config)
    yield other
    with other.app_context():
        db.engine.dispose()


def test_a_logo_uploaded_on_one_node_is_served_by_another_with_the_same_bytes(app, owner_client, node_b):
    assert upload(owner_client, app, png_bytes(size=(300, 200))).status_code == 302
    firm = only_firm(app)
    url = f"/firms/{firm.id}/logo/{firm.logo_filename}"
    on_a = owner_client.get(url)
    on_b = node_b.test_client().get(url)  # anonymous: the firm is publicly listed
    assert on_a.status_code == on_b.status_code == 200
    assert on_b.data == on_a.data and Image.open(io.BytesIO(on_b.data)).format == "WEBP"
    assert on_b.mimetype == "image/webp" and on_b.headers["X-Content-Type-Options"] == "nosniff"
    assert on_b.headers["ETag"] == f'"{hashlib.sha256(on_b.data).hexdigest()}"'  # strong: no W/
    assert "public" in on_b.headers["Cache-Control"] and "max-age=86400" in on_b.headers["Cache-Control"]
    assert not (tmp_path_of(app) / "logos").exists()  # nothing written to disk on node A either


def test_if_none_match_gets_304_without_the_bytes(app, owner_client):
    upload(owner_client, app, png_bytes())
    firm = only_firm(app)
    url = f"/firms/{firm.id}/logo/{firm.logo_filename}"
    etag = owner_client.get(url).headers["ETag"]
    again = owner_client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    assert owner_client.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200


def test_unknown_names_and_missing_rows_are_404(app, owner_client):
    upload(owner_client, app, png_bytes())
    firm = only_firm(app)
    assert owner_client.get(f"/firms/{firm.id}/logo/{'0' * 32}.webp").status_code == 404  # not this firm's
    assert owner_client.get(f"/firms/{firm.id + 999}/logo/{firm.logo_filename}").status_code == 404
    with app.app_context():
        db.session.execute(MediaFile.__table__.delete())  # the row is gone (as after a bad restore)
        db.session.commit()
    assert owner_client.get(f"/firms/{firm.id}/logo/{firm.logo_filename}").status_code == 404


def test_replacing_a_logo_removes_the_old_row_and_a_refused_save_keeps_none(app, owner_client):
    upload(owner_client, app, png_bytes(color=(1, 2, 3)))
    firm = only_firm(app)
    first = firm.logo_filename
    edited = upload(owner_client, app, png_bytes(color=(9, 9, 9)), path=f"/firms/{firm.id}/edit")
    assert edited.status_code == 302
    second = only_firm(app).logo_filename
    assert second != first and media_count(app) == 1
    assert owner_client.get(f"/firms/{firm.id}/logo/{first}").status_code == 404
    # Another firm with the same registration number is refused: its logo row is rolled back with it.
    assert upload(owner_client, app, png_bytes(), name_th="อีกกิจการ").status_code == 200
    assert media_count(app) == 1


def test_a_hidden_firms_logo_is_only_for_those_who_may_see_the_firm_and_never_shared_caches(app):
    with app.app_context():
        staff = factories.user(email="staff@example.com", role=Role.STAFF)
        firm = factories.firm(logo_filename=None)
        firm.logo_filename = logos.store(b"RIFF0000WEBPfake")
        firm.hidden_at = utcnow()
        db.session.commit()
        url, staff_email = f"/firms/{firm.id}/logo/{firm.logo_filename}", staff.email
    assert app.test_client().get(url).status_code == 404
    staff_client = app.test_client()
    factories.sign_in(staff_client, staff_email)
    seen = staff_client.get(url)
    assert seen.status_code == 200 and "private" in seen.headers["Cache-Control"]
    assert "public" not in seen.headers["Cache-Control"]


@pytest.fixture
def empty_app(tmp_path):
    """An app on its own empty database (SQLite file or a scratch PostgreSQL schema) and its own UPLOAD_DIR."""
    yield from empty_database_app(tmp_path, SCRATCH_SCHEMA, UPLOAD_DIR=str(tmp_path / "uploads"))


def test_the_migration_moves_logo_files_into_the_table_and_tolerates_missing_ones(empty_app):
    from portal.seed.reference import load_provinces

    webp = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 200, 30)).save(webp, format="WEBP")
    with empty_app.app_context():
        upgrade()
        load_provinces()
        kept = factories.firm(logo_filename=logos.store(webp.getvalue()))
        lost = factories.firm(logo_filename="f" * 32 + ".webp")  # its file never existed
        db.session.commit()
        kept_id, kept_name, lost_id = kept.id, kept.logo_filename, lost.id
        db.session.remove()
        downgrade(revision="b8e2d4f6a9c1")  # back to files: the row is written out
        folder = tmp_path_of(empty_app) / "logos"
        assert (folder / kept_name).read_bytes() == webp.getvalue()
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT name, size, sha256 FROM media_files")).all()
            names = dict(conn.execute(text("SELECT id, logo_filename FROM firms")).all())
        assert [tuple(r) for r in rows] == [(kept_name, len(webp.getvalue()),
                                             hashlib.sha256(webp.getvalue()).hexdigest())]
        assert names == {kept_id: kept_name, lost_id: None}
        assert db.session.get(Firm, kept_id).logo_filename == kept_name


def _carry_session(source, target) -> None:
    """Node B's client sends node A's cookies: the browser of one person whose requests a balancer spreads."""
    for name in ("session", "remember_token"):
        cookie = source.get_cookie(name)
        if cookie is not None:
            target.set_cookie(name, cookie.value)


def test_an_import_uploaded_on_one_node_is_previewed_confirmed_and_run_on_another(app, node_b):
    import re

    from portal.memberships.models import ImportStatus, MemberImport
    from tests.test_jobs import IMPORT_CSV

    with app.app_context():
        user = factories.user(email="importer@example.com", locale="en")
        factories.term(user, factories.cluster("betta"))
        db.session.commit()
    on_a = app.test_client()
    factories.sign_in(on_a, "importer@example.com")
    uploaded = on_a.post("/clusters/betta/manage/import", content_type="multipart/form-data",
                         data={"file": (io.BytesIO(IMPORT_CSV), "members.csv")})
    assert uploaded.status_code == 302 and re.fullmatch(r"/clusters/betta/manage/import/[0-9a-f]{32}",
                                                        uploaded.location)
    with app.app_context():
        kept = db.session.scalar(select(MediaFile).where(MediaFile.purpose == "import"))
        assert kept.data == IMPORT_CSV and kept.name == uploaded.location.rsplit("/", 1)[1] + ".csv"
    on_b = node_b.test_client()
    _carry_session(on_a, on_b)
    preview = on_b.get(uploaded.location + "?lang=en")
    assert preview.status_code == 200 and "ฟาร์มนำเข้า" in preview.get_data(as_text=True)
    done = on_b.post(uploaded.location)  # tests run the worker's task at once, here on node B
    assert done.status_code == 302 and "/clusters/betta/manage/imports/" in done.location
    with app.app_context():
        assert db.session.scalar(select(MemberImport.status)) is ImportStatus.DONE
        assert db.session.scalar(select(Firm.id).where(Firm.name_th == "ฟาร์มนำเข้า")) is not None
        # The run removed its file; neither node wrote one to its folder.
        assert db.session.scalar(select(func.count()).select_from(MediaFile)) == 0
    assert not (tmp_path_of(app) / "imports").exists() and not (tmp_path_of(node_b) / "imports").exists()
    # The logo route never serves an import's file, even under its own name.
    with app.app_context():
        firm = factories.firm(logo_filename=None)
        hidden_name = "a" * 32 + ".csv"
        from portal.memberships import imports
        imports.keep_file("a" * 32, b"contacts")
        firm.logo_filename = hidden_name
        db.session.commit()
        firm_id = firm.id
    assert on_a.get(f"/firms/{firm_id}/logo/{hidden_name}").status_code == 404


def test_a_data_export_built_on_one_node_downloads_from_another(app, node_b):
    import zipfile

    from portal.mydata.models import DataExport

    with app.app_context():
        factories.user(email="leaver@example.com", locale="en")
        db.session.commit()
    on_a = app.test_client()
    factories.sign_in(on_a, "leaver@example.com")
    assert on_a.post("/account/data/export").status_code == 302  # tests build it at once, here on node A
    with app.app_context():
        export_id = db.session.scalar(select(DataExport.id))
    on_b = node_b.test_client()
    _carry_session(on_a, on_b)
    got = on_b.get(f"/account/data/{export_id}/download")
    assert got.status_code == 200 and got.mimetype == "application/zip"
    assert "leaver@example.com" in zipfile.ZipFile(io.BytesIO(got.data)).read("data.json").decode()
    assert not (tmp_path_of(app) / "exports").exists() and not (tmp_path_of(node_b) / "exports").exists()


def test_the_migration_moves_import_and_export_files_into_the_table_and_deletes_them(empty_app):
    from portal.mydata.models import DataExport, ExportStatus

    uploads = tmp_path_of(empty_app)
    with empty_app.app_context():
        upgrade(revision="d7a3f1c9e5b2")  # logos in the table, imports and exports still files
        (uploads / "imports").mkdir(parents=True)
        (uploads / "exports").mkdir(parents=True)
        preview = uploads / "imports" / ("1" * 32 + ".csv")
        header = b"Registration number,Name in Thai\n"
        preview.write_bytes(header)
        (uploads / "imports" / "notes.txt").write_text("not ours")
        zipped = uploads / "exports" / ("2" * 32 + ".zip")
        zipped.write_bytes(b"PK zip bytes")
        user_id = factories.user(email="a@example.com").id  # the users table is as at that revision
        db.session.commit()
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO data_exports (id, user_id, status, requested_at, file_name) VALUES "
                              f"(1, {int(user_id)}, 'ready', CURRENT_TIMESTAMP, '{zipped.name}'), "
                              f"(2, {int(user_id)}, 'ready', CURRENT_TIMESTAMP, '{'3' * 32}.zip')"))
        upgrade()
        rows = {row.name: row for row in db.session.scalars(select(MediaFile))}
        assert set(rows) == {preview.name, zipped.name}
        assert (rows[preview.name].purpose, rows[preview.name].data) == ("import", header)
        assert (rows[zipped.name].purpose, rows[zipped.name].content_type) == ("export", "application/zip")
        assert not preview.exists() and not zipped.exists() and (uploads / "imports" / "notes.txt").exists()
        kept, lost = db.session.get(DataExport, 1), db.session.get(DataExport, 2)
        assert (kept.status, kept.file_name) == (ExportStatus.READY, zipped.name)
        assert (lost.status, lost.file_name) == (ExportStatus.REMOVED, None)  # its link said "expired" already
        db.session.remove()
        downgrade(revision="d7a3f1c9e5b2")  # back to files
        assert preview.read_bytes() == header and zipped.read_bytes() == b"PK zip bytes"
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM media_files")).scalar() == 0
        upgrade()
