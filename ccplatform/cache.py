"""The shared cache on Redis, safe beside the Celery broker in the same Redis database."""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache

_BATCH = 1000


class PrefixedRedisCache(RedisCache):
    """RedisCache whose clear() deletes only this cache's keys.

    Django's clear() flushes the whole Redis database, which would also delete Celery's
    queued tasks and queue bindings when the broker shares it (the default: one REDIS_URL).
    """

    def clear(self) -> None:
        client = self._cache.get_client(None, write=True)
        batch: list[bytes] = []
        for key in client.scan_iter(match=f"{self.key_prefix}:*", count=_BATCH):
            batch.append(key)
            if len(batch) >= _BATCH:
                client.delete(*batch)
                batch.clear()
        if batch:
            client.delete(*batch)
