"""The lane's writer: the commands that change a sale, one at a time, on the event loop or its own thread, committed in groups.

A completed sale is durable when its commit has synced the WAL, and on the store box that
sync is a third of a sale's time on the one writer. The writer therefore runs the commands
that queued while it was busy in one transaction (`Ledger.grouped`): each command in a
savepoint of its own, so one that fails undoes only itself, and one commit, one sync, for
them all. The sync itself runs on a second thread, the answerer, while the writer runs the
next group: it makes the group durable (`Group.settle`), tells its listeners, then answers
its commands, group after group in order.

A request's command runs on the event loop's own thread when it can (`submit_here`): with one
GIL, a command handed to another thread waits for the loop's Python at every turn of the GIL
(a third of a sale's time with four lanes completing), and the loop's hops to and from it cost
more Python again. The commands that came in the same turn of the loop are one group. The loop
must never wait, though: when the ledger's write turn is taken (a device's scan, an import in
another process) or the command has work to do first (`ready`), it goes to the writer thread
(`submit`), which waits for it as long as the ledger's patience allows.

The loop does not commit its group either: it hands the open transaction to a third thread,
the committer (`Ledger.grouped(hand_over=True)`), which commits it (SQLite writes the group's
WAL pages without the GIL, about a tenth of a sale's time on the loop), gives the write turn
back, and passes the group on to the answerer to sync. Meanwhile the loop serves HTTP; its
next commands wait for that commit (not for any sync), and then run on the loop
(`_handed_back`), not on the writer thread.

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

import asyncio
import logging
import queue
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import ExitStack, suppress
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


def _lost(group: list[_Command], err: BaseException) -> None:
    """The group's commit failed (`err`): none of it is in the ledger."""
    log.error("a group of %d lane commands failed to commit: %s", len(group), err)
    for command in group:
        if command.error is None:
            command.error = TransactionLost()  # each its own: every request re-raises it
            command.error.__cause__ = err


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
    future: Future[Any] = field(default_factory=Future)  # its answer, to any thread
    result: Any = None
    error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.call()
        except BaseException as err:  # answered to its own request; the group goes on
            self.error = err

    def start(self) -> bool:
        """Whether it is still wanted (False: its request was abandoned while it queued)."""
        return self.future.set_running_or_notify_cancel()

    def answer(self) -> None:
        if self.future.done():  # cancelled, as a request abandoned while it ran
            return
        if self.error is not None:
            self.future.set_exception(self.error)
        else:
            self.future.set_result(self.result)


class _LoopCommand(_Command):
    """A command of a request on the event loop: answered on the loop (`waiter`)."""

    def __init__(self, ledger: Ledger, call: Callable[[], Any], ready: Callable[[], bool], loop: asyncio.AbstractEventLoop) -> None:
        self.ledger, self.call, self.ready = ledger, call, ready
        self.result, self.error = None, None
        self.loop = loop
        self.waiter: asyncio.Future[Any] = loop.create_future()

    def __repr__(self) -> str:  # the dataclass's would read `future`, which this one has not
        return f"_LoopCommand({self.call!r})"

    def start(self) -> bool:
        return not self.waiter.cancelled()  # a racy read off the loop at worst runs an abandoned command

    def answer(self) -> None:
        self.loop.call_soon_threadsafe(self._resolve)

    def _resolve(self) -> None:
        waiter = self.waiter
        if waiter.done():  # cancelled, as a request abandoned while it ran
            return
        if self.error is not None:
            waiter.set_exception(self.error)
        else:
            waiter.set_result(self.result)


class GroupWriter:
    """Runs the lane's commands in group commits: those `submit_here`ted on the event loop
    that submitted them, a turn's worth a group, when the ledger can begin at once; the rest
    (and those `submit`ted) on one thread, in order, those that queued while it was busy a group."""

    def __init__(self, name: str = "lane-writer") -> None:
        self._name = name
        self._queue: deque[_Command] = deque()
        self._ready = threading.Condition(threading.Lock())
        self._thread: threading.Thread | None = None
        # (group, its commands, the loop whose group it is: None for the writer thread's)
        self._settling: queue.SimpleQueue[tuple[Group | None, list[_Command], asyncio.AbstractEventLoop | None]] = (
            queue.SimpleQueue())
        # The loop's groups handed over, to be committed (`_commit`), then settled.
        self._committing: queue.SimpleQueue[tuple[Group, list[_Command], asyncio.AbstractEventLoop]] = queue.SimpleQueue()
        # Each event loop's commands for its next turn (touched on that loop's thread only).
        self._here: dict[asyncio.AbstractEventLoop, deque[_LoopCommand]] = {}
        # Loops whose last group the committer has still to commit (touched on those loops only).
        self._in_flight: set[asyncio.AbstractEventLoop] = set()

    def submit(self, ledger: Ledger, call: Callable[[], Any], ready: Callable[[], bool] = _always) -> Future[Any]:
        """Run `call` (which changes `ledger` in its units of work) on the writer; its answer
        once what it committed is durable. `ready`: whether `call` may join a group already
        open (it has nothing to do before it writes that could hold up the ledger)."""
        command = _Command(ledger, call, ready)
        self._to_thread(command)
        return command.future

    def submit_here(self, ledger: Ledger, call: Callable[[], Any], ready: Callable[[], bool] = _always) -> asyncio.Future[Any]:
        """As `submit`, from a coroutine on the running event loop: `call` runs on the loop's
        own thread at its next turn, with the other commands of that turn, unless the ledger's
        write turn is taken or `ready` says no (then on the writer). Awaitable for its answer."""
        loop = asyncio.get_running_loop()
        command = _LoopCommand(ledger, call, ready, loop)
        here = self._here.get(loop)
        if here is None:
            here = self._here[loop] = deque()
            loop.call_soon(self._run_here, loop)
        here.append(command)
        return command.waiter

    def _to_thread(self, command: _Command) -> None:
        with self._ready:
            self._queue.append(command)
            self._start()
            self._ready.notify()

    def _start(self) -> None:
        """The writer, committer and answerer threads, on first use (call holding `_ready`)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()
            threading.Thread(target=self._commit, name=f"{self._name}-commits", daemon=True).start()
            threading.Thread(target=self._answer, name=f"{self._name}-answers", daemon=True).start()

    def _run_here(self, loop: asyncio.AbstractEventLoop) -> None:
        """On the event loop: the commands that came in its last turn, in groups of at most
        MOST; those that cannot run here now go to the writer thread. While the loop's last
        group is being committed, they wait for it, first in line (`_handed_back`)."""
        if loop in self._in_flight:
            return
        here = self._here.pop(loop, None)  # those that come from now on are the next turn's
        while here:
            if loop in self._in_flight:
                self._here.setdefault(loop, deque()).extendleft(reversed(here))
                return
            first = here.popleft()
            if not first.start():
                continue
            if not first.ready() or not self._group_here(first, here):
                self._to_thread(first)

    def _group_here(self, first: _LoopCommand, here: deque[_LoopCommand]) -> bool:
        """Run `first` and the ready commands after it of its ledger in one group on this thread;
        False (nothing run) if the ledger cannot begin one at once: its write turn is taken, or
        it refuses (a failed sync, closed): the writer thread then answers what it says."""
        group: list[_Command] = [first]
        committed: Group | None = None
        with self._ready:
            self._start()  # before the group: nothing may fail between handing it over and queueing it
        try:
            with ExitStack() as stack:
                try:
                    open_group = stack.enter_context(first.ledger.grouped(settle_later=True, at_once=True, hand_over=True))
                except Exception:  # TurnTaken, or the ledger's own refusal (answered by the writer)
                    return False
                first.run()
                while len(group) < MOST and here and here[0].ledger is first.ledger and here[0].ready():
                    command = here.popleft()
                    if command.start():
                        command.run()
                        group.append(command)
            committed = open_group
        except BaseException as err:  # the group could not be handed over (its transaction lost): none of it is in the ledger
            _lost(group, err)
        if committed is not None and committed.handed:
            self._in_flight.add(first.loop)
            self._committing.put((committed, group, first.loop))
        else:
            self._settling.put((committed, group, first.loop))
        return True

    def _handed_back(self, loop: asyncio.AbstractEventLoop) -> None:
        """On the event loop: its last group is committed (or lost); the commands that came
        meanwhile run now."""
        self._in_flight.discard(loop)
        if self._here.get(loop):
            self._run_here(loop)

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
            if command.start():  # False: cancelled while it queued
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
            _lost(group, err)
        self._settling.put((committed, group, None))

    def _commit(self) -> None:
        """Commit each group the loop handed over, as soon as it comes (the answerer may be
        syncing the one before: the loop's next group waits for this commit, not that sync),
        tell the loop, then pass it on to be settled."""
        while True:
            committed, group, loop = self._committing.get()
            try:
                committed.finish()
            except LedgerSyncFailed as err:  # an earlier sync failed: the ledger takes no more
                for command in group:
                    if command.error is None:
                        command.error = _each_its_own(err)
            except BaseException as err:  # none of the group is in the ledger
                _lost(group, err)
            with suppress(RuntimeError):  # the loop was closed: nothing waits on it
                loop.call_soon_threadsafe(self._handed_back, loop)
            self._settling.put((committed, group, loop))

    def _answer(self) -> None:
        """Settle each committed group (sync, listeners), then answer its commands."""
        while True:
            committed, group, _ = self._settling.get()
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
