"""Devices signed in: one server-side record per sign-in, so that a user sees where they are signed in
and ends one session (this device) or all of them. The session and remember-me cookies carry the
record's random token (stored hashed); the user loader refuses a cookie whose record has ended."""
