"""Helpers for the graph servers we run as child processes."""

from __future__ import annotations

import ctypes
import signal
import socket
import sys

__all__ = ["die_with_parent", "free_loopback_port"]

_PR_SET_PDEATHSIG = 1


def free_loopback_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def die_with_parent() -> None:
    """Ask the kernel to SIGTERM this process when its parent dies, even by SIGKILL.

    Runs in the child between fork and exec (``preexec_fn``), so a JVM we start is
    never orphaned.
    """
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
