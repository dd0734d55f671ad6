"""connector/background.py: the writes handed to InOrder run in order, in a thread of their own,
and the first error is raised to the caller (what follows it is not run)."""

from __future__ import annotations

import threading

import pytest

from connector.background import InOrder


def test_work_runs_in_the_order_handed_over_on_another_thread():
    ran: list[tuple[int, int]] = []
    writer = InOrder("test-writer")
    for n in range(5):
        writer.submit(lambda n=n: ran.append((n, threading.get_ident())))
    writer.finish()
    assert [n for n, _ in ran] == [0, 1, 2, 3, 4]
    assert {ident for _, ident in ran} != {threading.get_ident()}
    assert len({ident for _, ident in ran}) == 1


def test_the_first_error_is_raised_by_finish_and_nothing_after_it_runs():
    ran: list[int] = []
    writer = InOrder("test-writer")
    writer.submit(lambda: ran.append(1))
    writer.submit(lambda: 1 / 0)
    writer.submit(lambda: ran.append(3))
    with pytest.raises(ZeroDivisionError):
        writer.finish()
    assert ran == [1]


def test_an_error_already_raised_is_raised_again_when_more_is_handed_over():
    writer = InOrder("test-writer")
    writer.submit(lambda: 1 / 0)
    writer.finish(abort=True)  # waits for it, raises nothing: the caller's own error is the one to see
    with pytest.raises(ZeroDivisionError):
        writer.submit(lambda: None)


def test_submit_waits_while_depth_pieces_of_work_are_queued():
    gate = threading.Event()
    writer = InOrder("test-writer", depth=1)
    writer.submit(gate.wait)  # the thread runs this one and waits
    writer.submit(lambda: None)  # queued: the queue is full now
    third = threading.Thread(target=writer.submit, args=(lambda: None,))
    third.start()
    third.join(0.2)
    assert third.is_alive()  # blocked until the writer takes the next one
    gate.set()
    third.join(5)
    assert not third.is_alive()
    writer.finish()
