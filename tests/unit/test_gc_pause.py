"""connector/gc_pause.py: the cyclic collector is off while any bulk step holds the pause, and back in the
state it was in before the first one once the last one ends; a supplier poll reads and writes its rows
with it paused."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from connector.gc_pause import no_cycle_collection


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_the_collector_is_off_inside_and_on_again_after_also_when_the_step_fails() -> None:
    with no_cycle_collection():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), no_cycle_collection():
        raise RuntimeError("the step failed")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with no_cycle_collection():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_overlapping_steps_in_two_threads_keep_it_off_until_the_last_one_ends() -> None:
    entered, release_first, first_done = threading.Event(), threading.Event(), threading.Event()
    seen: list[bool] = []

    def first() -> None:
        with no_cycle_collection():
            entered.set()
            release_first.wait(5)
        first_done.set()

    thread = threading.Thread(target=first)
    thread.start()
    assert entered.wait(5)
    with no_cycle_collection():  # the second step starts while the first runs...
        release_first.set()
        assert first_done.wait(5)
        seen.append(gc.isenabled())  # ...and the first one's end does not turn the collector on under it
    thread.join(5)
    assert seen == [False]
    assert gc.isenabled()


def test_the_allocation_of_a_restock_uses_the_shared_pause() -> None:
    from connector.restock import allocation

    assert allocation.no_cycle_collection is no_cycle_collection
