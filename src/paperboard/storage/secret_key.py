"""The installation's signing key: ``PAPERBOARD_SECRET_KEY``, or a random key kept in the data dir.

It signs the links in emails (mail/tokens.py) and the community's session and CSRF values. The
composition root (runtime.py) reads it once and hands it to both.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from paperboard.config import Settings

KEY_FILE_NAME = "secret_key"


def signing_key(settings: Settings) -> bytes:
    """``PAPERBOARD_SECRET_KEY``, or a random key kept in the data dir (embedded default).

    The file is created once with mode 0600; every process of one installation reads the same
    file. Deployments on several machines must set the variable instead.
    """
    if settings.secret_key is not None:
        return settings.secret_key.reveal().encode()
    return _key_file(settings.data_dir / KEY_FILE_NAME)


def _key_file(path: Path) -> bytes:
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode()
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(key)
    try:
        # A hard link appears complete or not at all, and fails if the name exists: when two
        # processes start at once, one key wins and both use it.
        os.link(temporary, path)
    except FileExistsError:
        key = path.read_bytes().strip()
    finally:
        temporary.unlink()
    return key
