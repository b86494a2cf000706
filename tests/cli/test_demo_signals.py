"""`lineage demo` keeps serving until Ctrl-C or SIGTERM, even when started in the background."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

pytestmark = pytest.mark.unit

WAITER = (
    "from lineage_cli.commands.demo import _wait_for_interrupt\n"
    "_wait_for_interrupt(lambda: print('ready', flush=True))\n"
    "print('stopped', flush=True)\n"
)


def _ignore_sigint() -> None:
    # What a shell does to a background job: SIGINT starts out ignored.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_wait_ends_on_signal_even_if_sigint_was_ignored(signum: signal.Signals) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", WAITER],
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=_ignore_sigint,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        child.send_signal(signum)
        out, _ = child.communicate(timeout=20)
    finally:
        child.kill()
    assert out.strip() == "stopped"
    assert child.returncode == 0
