"""Names for lease holders, and whether a holder on this machine is still alive.

An embedding process's claims (storage/embedding_claims.py) carry its name,
``machine:pid:random``. The machine part is the host name plus the process-id namespace, so
two containers that share a host name but not their process ids are never taken for one
machine. A holder on this machine whose process has gone (kill -9) is known dead at once: its
claims are taken over without waiting for their lease to pass. Holders elsewhere are judged
by their lease alone.
"""

from __future__ import annotations

import os
import re
import secrets
import socket


def this_machine() -> str:
    """The host name, plus the process-id namespace where Linux tells it."""
    try:
        namespace = os.readlink("/proc/self/ns/pid")  # e.g. "pid:[4026531836]"
    except OSError:
        return socket.gethostname()
    number = re.sub(r"\D", "", namespace)
    return f"{socket.gethostname()}/{number}"


def new_holder() -> str:
    """A name for this process's claims, unique across machines, restarts and threads."""
    return f"{this_machine()}:{os.getpid()}:{secrets.token_hex(4)}"


def is_dead_here(holder: str, machine: str | None = None) -> bool:
    """True only if ``holder`` ran on this machine and its process no longer exists."""
    parts = holder.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != (machine or this_machine()) or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return False  # this process: another thread's claims, alive by definition
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except PermissionError:  # it exists, under another user
        return False
    return False
