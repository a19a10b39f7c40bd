"""E-mail digests of each user's "Perlu perhatian" list (issue 19 item 5; docs/digest.md).

prefs: a user's address, frequency and day; tokens: the unsubscribe link; items: what a digest holds
(geo.attention, counts and links only); compose: the message; schedule: who is due today; send: one
run (`pantau digest send`); smtp: the server from PANTAU_SMTP_URL.
"""
