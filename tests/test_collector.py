"""The cyclic collector pauses for bulk jobs and comes back when the last one ends."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from profilegraph.services.collector import collector_paused, pauses_collector


@pytest.fixture(autouse=True)
def _collector_on() -> Iterator[None]:
    gc.enable()
    yield
    gc.enable()


def test_the_collector_is_off_inside_and_on_after() -> None:
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_it_comes_back_only_when_the_last_holder_leaves() -> None:
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_turned_off_by_someone_else_stays_off() -> None:
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


async def test_an_async_job_runs_paused_and_a_failure_turns_it_back_on() -> None:
    seen: list[bool] = []

    @pauses_collector
    async def job(fail: bool) -> int:
        seen.append(gc.isenabled())
        if fail:
            raise RuntimeError("the job failed")
        return 7

    assert await job(False) == 7
    with pytest.raises(RuntimeError, match="the job failed"):
        await job(True)
    assert seen == [False, False]
    assert gc.isenabled()
