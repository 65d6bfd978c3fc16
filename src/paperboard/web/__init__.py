"""The web app: server-rendered pages (Jinja2), later the Hugging Face-compatible API and feeds.

``create_app(settings, db)`` builds it; ``paperboard serve`` runs it with uvicorn.
"""

from paperboard.web.app import create_app

__all__ = ["create_app"]
