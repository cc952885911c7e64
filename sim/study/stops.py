"""Stops: SIGTERM and SIGHUP handled as Ctrl-C is, and pool workers that end with their parent.

Ctrl-C reaches Python as :class:`KeyboardInterrupt`. While a run is in :func:`stop_signals`,
SIGTERM (``timeout``, ``kill``, a batch scheduler) and SIGHUP (a closed terminal or ssh session)
raise :class:`Stopped`, a ``KeyboardInterrupt`` that names its signal, so the same code keeps what
finished (:mod:`sim.study.session`). A signal whose handler is not the default one is left alone
(``nohup`` ignores SIGHUP: it stays ignored).

Pool workers (:mod:`sim.study.distributed`) call :func:`end_with_parent` when they start: their own
process group, so a signal sent to the whole group reaches only the parent, which stops its workers
itself; and death with the parent (``prctl(PR_SET_PDEATHSIG)`` on Linux, a watching thread
elsewhere), so a parent killed outright leaves no worker behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
"""The signals that stop a run as Ctrl-C does (besides SIGINT, which Python already turns into
``KeyboardInterrupt``)."""

_PR_SET_PDEATHSIG = 1
"""``prctl`` option (linux/prctl.h): the signal a process gets when its parent ends."""

WATCH_INTERVAL_S = 1.0
"""How often a worker without ``prctl`` checks that its parent is alive."""


class Stopped(KeyboardInterrupt):
    """A stop signal (SIGTERM or SIGHUP), raised in the main thread where Ctrl-C would raise
    ``KeyboardInterrupt``."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by {signal_name(signum)}")
        self.signum = int(signum)


def signal_name(signum: int) -> str:
    """``"SIGTERM"`` for 15 and so on."""
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def exit_code(exc: BaseException) -> int:
    """The exit code of a process ended by `exc` as by its signal: 128 + the signal's number
    (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP)."""
    signum = getattr(exc, "signum", None)
    return 128 + int(signum if signum is not None else signal.SIGINT)


def _raise_stopped(signum: int, frame: FrameType | None) -> None:
    raise Stopped(signum)


def _note(held: list[int]) -> Any:
    def note(signum: int, frame: FrameType | None) -> None:
        held.append(signum)

    return note


@contextmanager
def stop_signals() -> Iterator[None]:
    """While in the block, SIGTERM and SIGHUP raise :class:`Stopped` in the main thread.

    Only signals left to their default action (ending the process at once) are taken over, and only
    in the main thread (elsewhere nothing changes); the previous handlers come back on exit. Nested
    blocks change nothing.
    """
    saved: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for s in STOP_SIGNALS:
            if signal.getsignal(s) == signal.SIG_DFL:
                saved[s] = signal.signal(s, _raise_stopped)
    try:
        yield
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)


@contextmanager
def held_stops() -> Iterator[list[int]]:
    """While in the block, SIGTERM and SIGHUP that :func:`stop_signals` would raise, and a Ctrl-C
    that Python would raise, are only noted (in the list yielded): a stopped run's folder is
    assembled without being cut short again (a second Ctrl-C stops the workers at once, but what
    finished is still kept)."""
    held: list[int] = []
    saved: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for s in STOP_SIGNALS:
            if signal.getsignal(s) is _raise_stopped:
                saved[s] = signal.signal(s, _note(held))
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            saved[signal.SIGINT] = signal.signal(signal.SIGINT, _note(held))
    try:
        yield held
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)


# ---------------------------------------------------------------------------------------- workers


def end_with_parent(parent: int) -> None:
    """In a pool worker just started by process `parent`: leave stops to it and end with it.

    The worker gets a process group of its own (Ctrl-C at a terminal, a closed ssh session or
    ``timeout`` signal a whole group: only the parent gets them, and stops its workers itself),
    ignores SIGINT and SIGHUP, takes SIGTERM's default action (how a pool ends its workers) and
    is killed when its parent ends (:func:`_kill_when_orphaned`, else a thread that checks every
    :data:`WATCH_INTERVAL_S`). A parent already gone ends the worker at once.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(os, "setpgid"):
        with contextlib.suppress(OSError):  # e.g. a session leader: it keeps its group
            os.setpgid(0, 0)
    if not _kill_when_orphaned():
        threading.Thread(target=_watch_parent, args=(parent,), name="xborder-parent-watch",
                         daemon=True).start()
    if os.getppid() != parent:  # the parent ended before the kernel was asked to tell us
        os._exit(1)


def _kill_when_orphaned() -> bool:
    """Ask Linux to send SIGKILL to this process when its parent ends; whether it agreed."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)) == 0
    except (OSError, AttributeError):  # pragma: no cover - no prctl in this libc
        return False


def _watch_parent(parent: int) -> None:  # pragma: no cover - used where prctl is missing
    while os.getppid() == parent:
        time.sleep(WATCH_INTERVAL_S)
    os._exit(1)
