"""Smoke test: the real app in a real terminal (tmux), keys sent as a cashier types them."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from tests.support.node_process import REPO
from tests.tui.node import NodeProcess

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (./run installs it)")


class Tmux:
    def __init__(self, command: str) -> None:
        self.name = f"storenode-tui-{uuid.uuid4().hex[:8]}"
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", "100", "-y", "30", command], check=True, cwd=REPO)

    def keys(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def type(self, text: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, "-l", text], check=True)

    def screen(self) -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name], check=True, capture_output=True, text=True).stdout

    def wait_for(self, check: Callable[[str], bool], what: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.screen()
            if check(text):
                return text
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}; the terminal:\n{self.screen()}")

    def kill(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], check=False, capture_output=True)


@pytest.fixture
def terminal(node: NodeProcess, lane: int) -> Iterator[Tmux]:
    command = f"{shlex.quote(sys.executable)} -m tui --lane {lane} --node {node.url} --lang en"
    # the shell stays after the app ends, so a crash's traceback can still be read from the pane
    session = Tmux(f"TERM=xterm-256color {command}; echo app exited $?; sleep 120")
    yield session
    session.kill()


def test_the_real_app_in_a_terminal_logs_in_scans_and_takes_cash(terminal: Tmux, lane: int) -> None:
    terminal.wait_for(lambda s: "Operator ID" in s, "the login screen")
    terminal.type("101")
    terminal.keys("Enter")
    time.sleep(0.5)  # a person moves to the PIN field more slowly than tmux types
    terminal.type("1357")
    terminal.keys("Enter")
    screen = terminal.wait_for(lambda s: "Float in the drawer" in s or "Amount due" in s, "login")
    if "Float in the drawer" in screen:
        terminal.keys("Enter")
    terminal.wait_for(lambda s: "Amount due" in s, "the sale screen")
    time.sleep(1.0)  # the scan field takes the focus as the screen settles
    terminal.type("2*6900000000014")
    terminal.keys("Enter")
    screen = terminal.wait_for(lambda s: "Golden Field Cola 330ml" in s and "6.00" in s, "the scanned cola", timeout=12)
    assert f"Lane {lane}" in screen and "Li Lei" in screen
    terminal.keys("F5")
    terminal.wait_for(lambda s: "Payment" in s and "F6 ¥10.00" in s, "the payment dialog")
    terminal.keys("F6")
    terminal.wait_for(lambda s: "Paid in full" in s and "change ¥4.00" in s, "the change")
    terminal.keys("Enter")
    terminal.wait_for(lambda s: "Sale complete" in s and "Change" in s, "the completed sale")
    terminal.keys("F12")
    terminal.wait_for(lambda s: "请下一位顾客" in s or "找零" in s, "Chinese")
    terminal.keys("C-q")
    terminal.wait_for(lambda s: "app exited 0" in s, "the app to quit cleanly", timeout=15)
