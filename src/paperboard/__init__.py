"""paperboard: a self-hostable home for research papers."""

__version__ = "0.1.0"
