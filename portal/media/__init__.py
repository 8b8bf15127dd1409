"""Uploaded media kept in the database, so that every app node serves them without a shared disk."""
