"""The Redis cache backend (config/cache.py): one kept client per server, shared by threads and forked workers."""

from __future__ import annotations

import multiprocessing
import os
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from config.cache import RedisCache

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_cache() -> RedisCache:
    # A cache of its own (prefix per test), on the Redis the suite was given.
    return RedisCache(os.environ["REDIS_URL"], {"KEY_PREFIX": f"test-cache-{uuid.uuid4().hex}"})


def test_it_serves_reads_and_writes_from_one_kept_client(redis_cache: RedisCache) -> None:
    client = redis_cache._cache.get_client(write=True)

    redis_cache.set("counter", 1)
    redis_cache.incr("counter", 5)
    assert redis_cache.get("counter") == 6
    redis_cache.delete("counter")
    assert redis_cache.get("counter", "gone") == "gone"

    assert redis_cache._cache.get_client() is client
    assert redis_cache._cache.get_client(write=True) is client


def test_it_keeps_each_threads_values_apart_when_threads_share_the_client(redis_cache: RedisCache) -> None:
    def round_trips(thread: int) -> list[int]:
        seen = []
        for n in range(100):
            redis_cache.set(f"t{thread}", thread * 1000 + n)
            seen.append(redis_cache.get(f"t{thread}"))
        return seen

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(round_trips, range(8)))

    assert results == [[thread * 1000 + n for n in range(100)] for thread in range(8)]


def _child_writes(cache: RedisCache) -> None:
    cache.set("from-child", os.getpid())


def test_it_works_in_a_worker_forked_after_the_parent_used_it(redis_cache: RedisCache) -> None:
    # Celery's prefork pool and gunicorn fork after import: the child must not reuse the parent's sockets.
    redis_cache.set("from-parent", os.getpid())
    child = multiprocessing.get_context("fork").Process(target=_child_writes, args=(redis_cache,))
    child.start()
    child.join(timeout=30)

    assert child.exitcode == 0
    assert redis_cache.get("from-child") == child.pid
    assert redis_cache.get("from-parent") == os.getpid()


def test_clear_deletes_its_own_keys_and_leaves_the_rest_of_the_database(redis_cache: RedisCache) -> None:
    # The broker's queue and another site's cache (another prefix, or none) share the database.
    client = redis_cache._cache.get_client(write=True)
    queue, other = f"celery-queue-{uuid.uuid4().hex}", RedisCache(os.environ["REDIS_URL"], {"KEY_PREFIX": "x*"})
    unprefixed = RedisCache(os.environ["REDIS_URL"], {})
    client.rpush(queue, "a save waiting for a worker")
    try:
        for number in range(1200):  # more than one batch of deletes
            redis_cache.set(f"key-{number}", number)
        other.set("theirs", 1)
        unprefixed.set(f"theirs-{queue}", 2)

        redis_cache.clear()

        assert redis_cache.get_many([f"key-{number}" for number in range(1200)]) == {}
        assert client.lrange(queue, 0, -1) == [b"a save waiting for a worker"]
        assert (other.get("theirs"), unprefixed.get(f"theirs-{queue}")) == (1, 2)
    finally:
        client.delete(queue)
        other.delete("theirs")
        unprefixed.delete(f"theirs-{queue}")
