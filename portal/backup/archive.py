"""The backup archive: one .tar.gz holding manifest.json (first), the database dump and uploads/…

The manifest lists every other member with its size and SHA-256, so a restore can refuse a damaged or altered
archive before it touches anything.
"""
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import zlib
from datetime import datetime
from pathlib import Path, PurePosixPath

FORMAT = "cluster-portal-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
UPLOADS = "uploads"
DATABASE_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
_CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on; the message tells the operator why and what to do."""


def archive_path(folder: Path, moment: datetime) -> Path:
    """portal-backup-YYYYMMDDTHHMMSSZ.tar.gz in `folder` (write_archive adds -2, -3 … if it is taken)."""
    return folder / f"portal-backup-{moment:%Y%m%dT%H%M%SZ}.tar.gz"


def _claim(partial: Path, target: Path) -> Path:
    """Give the complete archive the target's name, or -2, -3 … if another backup has it: a hard link
    fails rather than replace an existing file, so two backups in the same second keep both."""
    stem, n, candidate = target.name.removesuffix(".tar.gz"), 1, target
    while True:
        try:
            os.link(partial, candidate)
        except FileExistsError:
            n += 1
            candidate = target.with_name(f"{stem}-{n}.tar.gz")
            continue
        partial.unlink()
        return candidate


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def describe_files(staging: Path) -> dict:
    """{member name: {size, sha256}} for every regular file under the staging folder."""
    files = {}
    for path in sorted(p for p in staging.rglob("*") if p.is_file()):
        files[path.relative_to(staging).as_posix()] = {"size": path.stat().st_size, "sha256": sha256_of(path)}
    return files


def write_archive(staging: Path, manifest: dict, target: Path) -> Path:
    """Pack the manifest and the staged files into `target` (or -2, -3 … beside it if taken), readable by
    its owner only (it holds personal data and password hashes); returns the path written. It is written
    under a temporary name of its own and named when complete, so a failed backup never leaves a half
    archive where a good one is expected, and two backups at once never write into one file."""
    body = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8")
    fd, partial_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)  # 0600
    partial = Path(partial_name)
    try:
        with os.fdopen(fd, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz") as tar:
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime, info.mode = len(body), int(datetime.now().timestamp()), 0o600
                tar.addfile(info, io.BytesIO(body))
                for name in manifest["files"]:
                    tar.add(staging / name, arcname=name, recursive=False)
            raw.flush()
            os.fsync(raw.fileno())
        return _claim(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def read_archive(archive: Path, staging: Path) -> dict:
    """Unpack `archive` into `staging`, checking every member against the manifest; return the manifest.

    :raises BackupError: the file is not a complete, unaltered backup archive of this format.
    """
    if not archive.is_file():
        raise BackupError(f"{archive} does not exist or is not a file.")
    try:
        with tarfile.open(archive, mode="r|gz") as tar:
            manifest = _read_manifest(tar)
            seen = set()
            while (member := tar.next()) is not None:
                seen.add(_extract_member(tar, member, manifest, staging, seen))
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise BackupError(f"{archive} is not a readable backup archive ({exc}).") from None
    missing = set(manifest["files"]) - seen
    if missing:
        raise BackupError(f"The archive is incomplete: {len(missing)} files listed in its manifest are missing "
                          f"(e.g. {sorted(missing)[0]}).")
    return manifest


def _read_manifest(tar) -> dict:
    first = tar.next()
    if first is None or first.name != MANIFEST or not first.isfile() or first.size > 50 * _CHUNK:
        raise BackupError("This is not a Cluster Portal backup: manifest.json must come first in the archive.")
    try:
        manifest = json.loads(tar.extractfile(first).read().decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise BackupError("The archive's manifest.json is not valid JSON.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("This is not a Cluster Portal backup (unknown manifest format).")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"Backup format version {manifest.get('format_version')!r} is not supported by this "
                          f"version of the portal (it reads version {FORMAT_VERSION}).")
    dialect = manifest.get("dialect")
    files = manifest.get("files")
    if dialect not in DATABASE_MEMBERS or not isinstance(files, dict) or DATABASE_MEMBERS[dialect] not in files:
        raise BackupError("The archive's manifest does not describe a database dump.")
    return manifest


def _extract_member(tar, member, manifest: dict, staging: Path, seen: set) -> str:
    name = member.name
    expected = manifest["files"].get(name)
    parts = PurePosixPath(name).parts
    if ".." in parts or name.startswith("/"):
        raise BackupError(f"The archive holds {name!r}, an unsafe path: refusing it. Nothing was changed.")
    if expected is None or not member.isfile() or name in seen:
        raise BackupError(f"The archive holds {name!r}, which its manifest does not list as a file: refusing it. "
                          "Nothing was changed.")
    target = staging.joinpath(*parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with tar.extractfile(member) as source, open(target, "wb") as out:
        for chunk in iter(lambda: source.read(_CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    if digest.hexdigest() != expected.get("sha256") or size != expected.get("size"):
        raise BackupError(f"{name} does not match its checksum in the manifest: the archive is damaged or "
                          f"was altered. Nothing was changed.")
    return name


def copy_tree(source: Path, target: Path) -> tuple[int, int]:
    """Copy regular files under `source` not yet in `target` (symlinks and half-written `.*.tmp` files are
    skipped); return (files, bytes) copied. Run twice around the database snapshot, the second pass picks up
    files saved meanwhile."""
    files = size = 0
    if not source.is_dir():
        return files, size
    for folder, dirs, names in os.walk(source):
        dirs.sort()
        for name in sorted(names):
            path = Path(folder) / name
            if path.is_symlink() or not path.is_file() or (name.startswith(".") and name.endswith(".tmp")):
                continue
            destination = target / path.relative_to(source)
            if destination.exists():
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            try:
                shutil.copy2(path, destination)
            except FileNotFoundError:  # removed while we walked: it is not part of the backup
                continue
            files, size = files + 1, size + destination.stat().st_size
    return files, size
