"""``python -m paperboard.cli``: the same command line as ``paperboard``."""

from paperboard.cli import main

main()
