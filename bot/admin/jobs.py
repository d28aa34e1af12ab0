"""Background publish jobs of the admin page, polled by the browser."""
from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from typing import Callable

from bot.publish import PublishError, PublishResult, Publisher


@dataclass
class Job:
    """One publish (or rollback) run and its progress lines."""

    id: str
    kind: str
    actor: str
    lines: list[tuple[str, str, str]] = field(default_factory=list)
    result: PublishResult | None = None


class PublishJobs:
    """Runs at most one publish at a time in a thread and keeps the last jobs."""

    def __init__(self, publisher_factory: Callable[[], Publisher],
                 on_done: Callable[[Job], None]):
        self._factory = publisher_factory
        self._on_done = on_done
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._running: threading.Thread | None = None

    def start(self, kind: str, actor: str) -> Job | None:
        """Start a publish or rollback; None when one is already running."""
        with self._lock:
            if self._running and self._running.is_alive():
                return None
            job = Job(id=secrets.token_urlsafe(8), kind=kind, actor=actor)
            self._jobs[job.id] = job
            self._running = threading.Thread(target=self._run, args=(job,), daemon=True)
            self._running.start()
            return job

    def _run(self, job: Job) -> None:
        """The thread body: run the pipeline, collecting progress lines."""
        def progress(step: str, status: str, detail: str) -> None:
            job.lines.append((step, status, detail))

        try:
            publisher = self._factory()
            job.result = (publisher.rollback(progress) if job.kind == "rollback"
                          else publisher.publish(progress))
        except PublishError as exc:
            progress(exc.step, "fail", exc.detail)
            job.result = PublishResult(False, None, False, str(exc))
        except Exception as exc:  # noqa: BLE001 - the page must show a result
            progress("publish", "fail", f"{type(exc).__name__}: {exc}")
            job.result = PublishResult(False, None, False, "Publish failed")
        self._on_done(job)

    def get(self, job_id: str) -> Job | None:
        """A job by id."""
        return self._jobs.get(job_id)
