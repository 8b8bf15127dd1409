"""LINE: sign-in with LINE Login (OpenID Connect) and messages through a LINE Official Account (Messaging API).

Both are off unless configured (config.py: LINE_LOGIN_CHANNEL_ID, LINE_MESSAGING_ACCESS_TOKEN, ...); the
base URLs are settings too, so that tests point them at a fake LINE platform on loopback.
"""
