"""Building blocks shared by the Telegram and Zalo channels: splitting, dedupe, ordering, pacing."""
from __future__ import annotations

import asyncio
import logging
import math
import os
import re
from collections import OrderedDict, deque
from typing import Awaitable, Callable, Generic, Hashable, Optional, TypeVar

logger = logging.getLogger(__name__)
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
_ENV_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


def env_text(name: str, default: str = "") -> str:
    """An environment variable stripped, or the default when unset or empty."""
    return os.environ.get(name, "").strip() or default


def resolve_env_ref(value: object) -> object:
    """Replace a whole-string `${NAME}` reference by that environment variable (else unchanged)."""
    if isinstance(value, str):
        match = _ENV_REF.match(value.strip())
        if match:
            return os.environ.get(match.group(1), "")
    return value


def _cut(text: str, limit: int) -> int:
    """Index where to cut `text` (longer than limit): paragraph, line, sentence, space, or hard."""
    window = text[:limit]
    for separator in ("\n\n", "\n", ". ", " "):
        index = window.rfind(separator)
        if index > limit // 4:
            return index + len(separator)
    return limit


def split_text(text: str, limit: int) -> list[str]:
    """Split a text into chunks of at most `limit` characters, preferring paragraph boundaries."""
    if limit < 1:
        raise ValueError("limit must be positive")
    chunks: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = _cut(rest, limit)
        chunk = rest[:cut].strip()
        if chunk:
            chunks.append(chunk)
        rest = rest[cut:].strip()
    if rest:
        chunks.append(rest)
    return chunks


class BoundedSet(Generic[K]):
    """Remembers the most recent `size` keys (for deduplication with bounded memory)."""

    def __init__(self, size: int) -> None:
        """An empty set holding at most `size` keys."""
        self._size = max(1, size)
        self._keys: OrderedDict[K, None] = OrderedDict()

    def add_new(self, key: K) -> bool:
        """Add a key; True when it was not seen yet (False means duplicate)."""
        if key in self._keys:
            self._keys.move_to_end(key)
            return False
        self._keys[key] = None
        while len(self._keys) > self._size:
            self._keys.popitem(last=False)
        return True

    def __len__(self) -> int:
        """How many keys are remembered."""
        return len(self._keys)


class LruMap(Generic[K, V]):
    """A dictionary that forgets its least recently used entries beyond `size`."""

    def __init__(self, size: int) -> None:
        """An empty map holding at most `size` entries."""
        self._size = max(1, size)
        self._items: OrderedDict[K, V] = OrderedDict()

    def put(self, key: K, value: V) -> None:
        """Store a value, evicting the oldest entries when full."""
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)

    def get(self, key: K) -> Optional[V]:
        """The value for a key (marking it recently used), or None."""
        if key not in self._items:
            return None
        self._items.move_to_end(key)
        return self._items[key]

    def __len__(self) -> int:
        """How many entries are stored."""
        return len(self._items)


Job = Callable[[], Awaitable[None]]


class KeyedSerial:
    """Runs jobs one at a time per key (a chat) and concurrently across keys."""

    def __init__(self, max_pending: int = 50) -> None:
        """No queues yet; each key may hold up to `max_pending` waiting jobs."""
        self._max_pending = max(1, max_pending)
        self._queues: dict[Hashable, deque[Job]] = {}
        self._tasks: set[asyncio.Task] = set()

    def submit(self, key: Hashable, job: Job) -> bool:
        """Queue a job for a key; False when that key's queue is full (job dropped)."""
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = deque()
            queue.append(job)
            task = asyncio.get_running_loop().create_task(self._worker(key, queue))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return True
        if len(queue) >= self._max_pending:
            return False
        queue.append(job)
        return True

    async def _worker(self, key: Hashable, queue: deque[Job]) -> None:
        """Run a key's jobs in order; the queue disappears when empty."""
        try:
            while queue:
                job = queue[0]
                try:
                    await job()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - one failing job must not stop the chat
                    logger.error("channel job failed: %s", type(exc).__name__)
                finally:
                    queue.popleft()
        finally:
            if self._queues.get(key) is queue:
                del self._queues[key]

    @property
    def active_keys(self) -> int:
        """How many keys have queued or running jobs."""
        return len(self._queues)

    async def join(self, timeout_s: float = 10.0) -> None:
        """Wait until all queued jobs ran (or the timeout passed)."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while self._tasks and asyncio.get_running_loop().time() < deadline:
            await asyncio.wait(set(self._tasks), timeout=max(0.0, deadline -
                                                              asyncio.get_running_loop().time()))

    async def cancel(self) -> None:
        """Cancel every running worker."""
        tasks = set(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class Pacer:
    """Spaces sends: at least `per_key_s` apart per chat and `global_s` apart overall."""

    def __init__(self, per_key_s: float, global_s: float, memory: int = 10000) -> None:
        """A pacer that remembers the last send time of up to `memory` chats."""
        self._per_key = max(0.0, per_key_s)
        self._global = max(0.0, global_s)
        self._last: LruMap[Hashable, float] = LruMap(memory)
        self._next_global = -math.inf

    async def wait(self, key: Hashable) -> None:
        """Sleep until a message to this chat may be sent, and reserve that slot."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        last = self._last.get(key)
        slot = max(now, (last + self._per_key) if last is not None else now, self._next_global)
        self._next_global = slot + self._global
        self._last.put(key, slot)
        if slot > now:
            await asyncio.sleep(slot - now)
