"""Community: accounts, sessions, API tokens, submissions, upvotes, comments, moderation.

Domain logic only: the web layer (web/session.py, web/pages/, web/api/) parses requests and calls
one method of :class:`~paperboard.community.service.Community`; all SQL lives in storage/.

Modules:
  errors.py       what can go wrong, each with the HTTP status the web layer answers with
  passwords.py    argon2id hashing (argon2-cffi), bounded concurrency, timing equalisation
  ratelimit.py    per-account and per-IP fixed-window limits, counted in the database
  markdown.py     comment Markdown -> sanitised HTML (markdown-it-py, then nh3)
  accounts.py     sign-up, sign-in, sessions, CSRF tokens, password reset, settings, roles
  tokens.py       API tokens (stored hashed, revocable)
  votes.py        upvotes: one per user and paper, exact under concurrency
  comments.py     comments, one level of replies, edit/delete own, curators hide
  submissions.py  submitting a paper (fetched from arXiv if unknown) to today's board
  profiles.py     what /u/{username} shows
  mailer.py       the password-reset email, through the digest work's MailSender
  service.py      ``Community``: the above wired to one database, clock and settings
"""
