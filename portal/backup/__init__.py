"""Backups: `flask backup` writes one archive (database + uploaded files + manifest); `flask restore` brings it back.

archive.py packs and checks the .tar.gz; database.py copies the database in and out (SQLite's online backup API,
pg_dump/pg_restore); services.py puts the steps in order; cli.py is the operator's side.
"""
