"""Django's Redis cache, with one Redis client per server for the life of the process.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` for every operation. That object is only a
handle on the server's connection pool, but building one copies redis-py's table of response callbacks, which
costs as much CPU as the round trip to Redis itself (docs/performance.md). Every page reads the connector settings
from this cache (connector.ds_settings), so that cost was on every request. A ``redis.Redis`` is safe to share
between threads (each command takes a connection from the pool and gives it back), and the pool notices a fork and
opens new connections in the child, so one handle per pool serves every thread and every forked worker.

Django's ``clear()`` empties the whole Redis database (FLUSHDB). The Celery broker shares that database by default
(config/settings.py: one REDIS_URL), so a cache clear would also drop queued saves; and test runs on one Redis
would empty each other's caches and queues. Here it deletes this cache's own keys only.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.cache.backends import redis as django_redis
from redis import Redis


class RedisCacheClient(django_redis.RedisCacheClient):
    # Any: the arguments go to Django's client unchanged, whatever they are.
    def __init__(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[explicit-any]
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Redis] = {}

    def get_client(self, key: str | bytes | memoryview | None = None, *, write: bool = False) -> Redis:
        # Django's private helper, which the stubs leave out.
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))  # the pools live as long as this object: their ids are not reused
        if client is None:
            # Django's private client class (redis.Redis unless configured), also left out of the stubs.
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))  # type: ignore[attr-defined]
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server: str | list[str], params: dict[str, object]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient

    def clear(self) -> None:
        """Delete every key of this cache (its KEY_PREFIX), and nothing else of the database."""
        client = self._cache.get_client(write=True)
        # make_key: "<prefix>:<version>:<key>", and ":<version>:<key>" with no prefix; glob characters escaped.
        pattern = re.sub(r"([*?\[\]\\])", r"\\\1", self.key_prefix) + ":*"
        batch: list[bytes] = []
        for key in client.scan_iter(match=pattern, count=1000):
            batch.append(key)
            if len(batch) == 500:
                client.delete(*batch)
                batch.clear()
        if batch:
            client.delete(*batch)
