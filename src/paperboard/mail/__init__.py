"""Email digests: topic selection and digest building (pure), templates, senders, outbox runs.

Modules, from pure to side effects (a subscriber's topics, addresses and the SMTP URL are
domain values: domain/topics.py, domain/addresses.py, domain/smtp_url.py):
  digest.py     which papers a digest holds (pure; the ``TopicMatcher`` hook)
  render.py     Jinja2 templates -> HTML and plain-text parts (cached per selection)
  message.py    RFC 5322/MIME bytes with List-Unsubscribe headers
  tokens.py     signed, optionally expiring links (confirm, unsubscribe, manage)
  sender.py     the ``MailSender`` interface and an in-memory implementation
  smtp.py       the SMTP implementation (smtplib)
  delivery.py   outbox processing: enqueue a period, claim, send, record
  service.py    subscribe / confirm / unsubscribe / manage, for the web and the CLI
"""
