"""The print queue: a job prints once, retries with backoff, survives a restart, can be
reprinted (with the banner) or redirected to another printer."""

from __future__ import annotations

import pytest

from devices.health import HealthState
from devices.printer import ReceiptPrinter
from devices.profiles import ProfileCatalog
from devices.sim_printer import VirtualPrinter
from devices.spooler import Backoff, InMemoryJobStore, PrintJob, Spooler, redirect_job, reprint_job
from pos.receipt import Language
from tests.devices.helpers import sample_receipt, wait_until


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def lane(catalog: ProfileCatalog, tcp_printer: VirtualPrinter) -> ReceiptPrinter:
    return ReceiptPrinter("lane-3", catalog.printer("generic-58mm-gb18030"), tcp_printer.address,
                          timeout_s=5.0, status_timeout_s=1.0)


def test_backoff_doubles_up_to_its_cap() -> None:
    backoff = Backoff(first_s=2, factor=2, max_s=30)
    assert [backoff.delay(n) for n in (1, 2, 3, 4, 5, 6)] == [2, 4, 8, 16, 30, 30]


def test_printer_offline_then_back_prints_the_job_exactly_once(
    lane: ReceiptPrinter, tcp_printer: VirtualPrinter, clock: FakeClock
) -> None:
    store = InMemoryJobStore(clock)
    spooler = Spooler(store, {"lane-3": lane}, clock=clock)
    store.add(PrintJob("job-1", "lane-3", sample_receipt()))
    tcp_printer.go_offline()

    (failed,) = spooler.run_once()
    assert not failed.printed and "cannot be reached" in failed.error
    job = store.get("job-1")
    assert job is not None and job.attempts == 1 and job.next_attempt_at == 1_002.0
    assert spooler.health("lane-3").state is HealthState.DISCONNECTED
    assert spooler.run_once() == []  # held: no hammering before the backoff is over

    tcp_printer.go_online()
    clock.now += 2
    (printed,) = spooler.run_once()
    assert printed.printed and store.printed == ["job-1"]
    assert spooler.run_once() == []
    assert spooler.health("lane-3").state is HealthState.OK
    tcp_printer.wait_for_receipts(1)
    tcp_printer.stop()  # every connection handled: nothing else can still arrive
    assert [j.decoded.qr_codes for j in tcp_printer.receipts()] == [["R-0003-000123"]]


def test_paper_out_holds_the_queue_in_order_then_prints_all(
    lane: ReceiptPrinter, tcp_printer: VirtualPrinter, clock: FakeClock
) -> None:
    store = InMemoryJobStore(clock)
    spooler = Spooler(store, {"lane-3": lane}, clock=clock)
    for n in (1, 2, 3):
        store.add(PrintJob(f"job-{n}", "lane-3", sample_receipt(receipt_no=f"R-{n}"), created_at=n))
    tcp_printer.paper_out = True
    outcomes = spooler.run_once()
    assert [(o.job_id, o.printed) for o in outcomes] == [("job-1", False)]  # the rest wait behind it
    assert spooler.health("lane-3").state is HealthState.FAULT
    assert "paper out" in spooler.health("lane-3").last_error
    tcp_printer.paper_out = False
    spooler.retry_now()  # the cashier loaded paper and pressed retry
    assert [o.job_id for o in spooler.run_once()] == ["job-1", "job-2", "job-3"]
    receipts = tcp_printer.wait_for_receipts(3)
    assert [j.decoded.qr_codes[0] for j in sorted(receipts, key=lambda j: j.at)] == ["R-1", "R-2", "R-3"]


def test_a_hang_up_mid_job_is_retried_and_the_receipt_prints_once_complete(
    lane: ReceiptPrinter, tcp_printer: VirtualPrinter, clock: FakeClock
) -> None:
    store = InMemoryJobStore(clock)
    spooler = Spooler(store, {"lane-3": lane}, clock=clock)
    store.add(PrintJob("job-1", "lane-3", sample_receipt()))
    tcp_printer.hang_up_after(300)
    assert not spooler.run_once()[0].printed
    clock.now += 60
    assert spooler.run_once()[0].printed
    tcp_printer.wait_for_receipts(1)
    tcp_printer.stop()
    complete = tcp_printer.receipts()
    assert len(complete) == 1 and complete[0].decoded.qr_codes == ["R-0003-000123"]
    assert store.printed == ["job-1"]


def test_a_restarted_node_resumes_pending_jobs(
    lane: ReceiptPrinter, tcp_printer: VirtualPrinter, clock: FakeClock
) -> None:
    store = InMemoryJobStore(clock)  # stands for the ledger, which outlives the process
    store.add(PrintJob("job-1", "lane-3", sample_receipt()))
    tcp_printer.go_offline()
    Spooler(store, {"lane-3": lane}, clock=clock).run_once()
    tcp_printer.go_online()
    clock.now += 5
    restarted = Spooler(store, {"lane-3": lane}, clock=clock, poll_s=0.05)
    restarted.start()
    try:
        wait_until(lambda: store.printed == ["job-1"], what="the pending job to print")
    finally:
        restarted.stop()
    tcp_printer.wait_for_receipts(1)
    tcp_printer.stop()
    assert len(tcp_printer.receipts()) == 1


def test_a_reprint_is_a_new_job_with_the_banner(
    lane: ReceiptPrinter, tcp_printer: VirtualPrinter, clock: FakeClock
) -> None:
    store = InMemoryJobStore(clock)
    spooler = Spooler(store, {"lane-3": lane}, clock=clock)
    original = store.add(PrintJob("job-1", "lane-3", sample_receipt()))
    spooler.run_once()
    store.add(reprint_job(original, "job-2"))
    spooler.run_once()
    first, second = (j.decoded for j in sorted(tcp_printer.wait_for_receipts(2), key=lambda j: j.at))
    assert "REPRINT" not in first.text
    assert second.lines[0].strip() == "*** 重印 REPRINT ***"
    assert store.printed == ["job-1", "job-2"]


def test_a_job_redirected_to_an_80_mm_printer_is_laid_out_for_it(
    catalog: ProfileCatalog, lane: ReceiptPrinter, tcp_printer: VirtualPrinter, clock: FakeClock
) -> None:
    wide_server = VirtualPrinter().start()
    try:
        wide = ReceiptPrinter("lane-4", catalog.printer("epson-tm-t20"), wide_server.address)
        store = InMemoryJobStore(clock)
        spooler = Spooler(store, {"lane-3": lane, "lane-4": wide}, clock=clock)
        store.add(PrintJob("job-1", "lane-3", sample_receipt(Language.EN)))
        tcp_printer.cover_open = True
        spooler.run_once()
        job = store.get("job-1")
        assert job is not None
        store.save(redirect_job(job, "lane-4"))
        spooler.run_once()
        (printed,) = wide_server.wait_for_receipts(1)
        assert max(len(line) for line in printed.decoded.lines) == 48
        assert tcp_printer.receipts() == []
    finally:
        wide_server.stop()


def test_an_unknown_printer_or_a_broken_document_fails_the_job_not_the_queue(
    lane: ReceiptPrinter, tcp_printer: VirtualPrinter, clock: FakeClock
) -> None:
    store = InMemoryJobStore(clock)
    spooler = Spooler(store, {"lane-3": lane}, clock=clock)
    store.add(PrintJob("lost", "lane-9", sample_receipt(), created_at=1))
    store.add(PrintJob("broken", "lane-3", object(), created_at=2))  # type: ignore[arg-type]
    store.add(PrintJob("fine", "lane-3", sample_receipt(), created_at=3))
    outcomes = {o.job_id: o for o in spooler.run_once()}
    assert "lane-9 is not configured" in outcomes["lost"].error
    assert "cannot print" in outcomes["broken"].error
    assert "fine" not in outcomes  # behind the broken one on the same printer
    assert spooler.health("lane-9").state is HealthState.FAULT
