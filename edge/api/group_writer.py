"""The lane's writer thread: the commands that change a sale, one at a time, committed in groups.

A completed sale is durable when its commit has synced the WAL, and on the store box that
sync is a third of a sale's time on the one writer. The writer therefore runs the commands
that queued while it was busy in one transaction (`Ledger.grouped`): each command in a
savepoint of its own, so one that fails undoes only itself, and one commit, one sync, for
them all. The sync itself runs on a second thread, the answerer, while the writer runs the
next group: it makes the group durable (`Group.settle`), tells its listeners, then answers
its commands, group after group in order.

No command is answered, and no listener told, before the sync that makes its commit durable.
If the commit fails, every command of the group answers an error (`TransactionLost`, a 503 to
retry) and none of them is in the ledger (a lane retries with the same request id). If the
sync fails, they answer `LedgerSyncFailed` (a 503): the disk did not confirm them, and the
ledger takes no more changes.

With one lane, or with lanes that do not scan at the same moment, a group is one command:
it waits for nothing. A group takes at most `MOST` commands, so the first of them waits
for a bounded amount of work, and a unit of work of another thread (a device's scan, the
sync agent) gets its turn between groups. A command that has work to do before it may
write (new promotions to load: `ready` says it has none) starts a group of its own, so that
work never holds the ledger.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from edge.errors import LedgerSyncFailed, TransactionLost
from edge.ledger import Group, Ledger

log = logging.getLogger(__name__)
# Commands a group takes at most. Small, so that while a group syncs there are commands left for
# the writer to run: with 4 lanes completing at once, groups of 3 did 7 % more sales a second
# than groups of 4 or 8 (which took every lane's sale, then all of them waited for the sync).
MOST = 3


def _always() -> bool:
    return True


def _each_its_own(err: BaseException) -> BaseException:
    """The error a command of a group answers: its own instance, as every request re-raises it."""
    if isinstance(err, LedgerSyncFailed):
        own: BaseException = LedgerSyncFailed(err.cause)
        own.__cause__ = err
        return own
    return err


@dataclass
class _Command:
    ledger: Ledger
    call: Callable[[], Any]
    ready: Callable[[], bool]
    future: Future[Any] = field(default_factory=Future)
    result: Any = None
    error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.call()
        except BaseException as err:  # answered to its own request; the group goes on
            self.error = err

    def answer(self) -> None:
        if self.future.done():  # cancelled, as a request abandoned while it ran
            return
        if self.error is not None:
            self.future.set_exception(self.error)
        else:
            self.future.set_result(self.result)


class GroupWriter:
    """One thread that runs `submit`ted commands in order, those of one ledger that queued
    while it was busy in one group commit."""

    def __init__(self, name: str = "lane-writer") -> None:
        self._name = name
        self._queue: deque[_Command] = deque()
        self._ready = threading.Condition(threading.Lock())
        self._thread: threading.Thread | None = None
        self._settling: queue.SimpleQueue[tuple[Group | None, list[_Command]]] = queue.SimpleQueue()

    def submit(self, ledger: Ledger, call: Callable[[], Any], ready: Callable[[], bool] = _always) -> Future[Any]:
        """Run `call` (which changes `ledger` in its units of work) on the writer; its answer
        once what it committed is durable. `ready`: whether `call` may join a group already
        open (it has nothing to do before it writes that could hold up the ledger)."""
        command = _Command(ledger, call, ready)
        with self._ready:
            self._queue.append(command)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
                threading.Thread(target=self._answer, name=f"{self._name}-answers", daemon=True).start()
            self._ready.notify()
        return command.future

    def _next(self, ledger: Ledger | None) -> _Command | None:
        """The next command still wanted; with `ledger` (a group is open), only one of that
        ledger, ready to join, already waiting (or None)."""
        while True:
            with self._ready:
                if ledger is None:
                    while not self._queue:
                        self._ready.wait()
                elif not self._queue or self._queue[0].ledger is not ledger or not self._queue[0].ready():
                    return None
                command = self._queue.popleft()
            if command.future.set_running_or_notify_cancel():  # False: cancelled while it queued
                return command

    def _run(self) -> None:
        while True:
            try:
                self._group()
            except BaseException:  # the writer must outlive anything one group does
                log.exception("the lane writer's group failed")

    def _group(self) -> None:
        first = self._next(None)
        assert first is not None
        group = [first]
        committed: Group | None = None
        try:
            with first.ledger.grouped(settle_later=True) as open_group:
                command: _Command | None = first
                while command is not None:
                    command.run()
                    command = self._next(first.ledger) if len(group) < MOST else None
                    if command is not None:
                        group.append(command)
            committed = open_group
        except BaseException as err:  # its commit failed: none of the group is in the ledger
            log.error("a group of %d lane commands failed to commit: %s", len(group), err)
            for command in group:
                if command.error is None:
                    command.error = TransactionLost()  # each its own: every request re-raises it
                    command.error.__cause__ = err
        self._settling.put((committed, group))

    def _answer(self) -> None:
        """Settle each committed group (sync, listeners), then answer its commands."""
        while True:
            committed, group = self._settling.get()
            try:
                if committed is not None:
                    committed.settle()
            except BaseException as err:  # not durable: nobody may be told it was done
                log.error("a group of %d lane commands was not made durable: %s", len(group), err)
                for command in group:
                    if command.error is None:
                        command.error = _each_its_own(err)
            for command in group:
                try:
                    command.answer()
                except BaseException:  # the answerer must outlive any one answer
                    log.exception("a lane command's answer failed")
