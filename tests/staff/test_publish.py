"""Publish pipeline with fake trainer, tester and switcher (real training is slow)."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.catalog.db import session_factory
from bot.publish import PublishError, PublishState, Publisher, publish_lock
from tests.conftest import FIXTURE_CATALOG, load_catalog


class Fakes:
    """Records what the pipeline called."""

    def __init__(self, tmp_path: Path, fail_test: bool = False):
        self.models = tmp_path / "models"
        self.models.mkdir()
        self.version = "a"
        self.trained: list[str] = []
        self.tested: list[str] = []
        self.switched: list[str] = []
        self.fail_test = fail_test

    def candidate(self) -> Path:
        return self.models / f"{self.version}.tar.gz"

    def train(self) -> Path:
        self.trained.append(self.version)
        self.candidate().write_text("model")
        return self.candidate()

    def test(self, model: Path) -> None:
        self.tested.append(model.name)
        if self.fail_test:
            raise PublishError("test", "story 'fee' failed: predicted utter_default")

    def switch(self, model: Path) -> None:
        self.switched.append(model.name)


@pytest.fixture
def setup(fixture_db, tmp_path, faq_file):
    fakes = Fakes(tmp_path)
    publisher = Publisher(session_maker=session_factory(fixture_db),
                          state_path=tmp_path / "var" / "state.json",
                          validate_data=lambda: None, trainer=fakes.train,
                          model_for_inputs=fakes.candidate, tester=fakes.test,
                          switcher=fakes.switch, generate=lambda session: None,
                          faq_path=faq_file)
    return publisher, fakes


def run(publisher: Publisher):
    lines: list[tuple[str, str, str]] = []
    result = publisher.publish(lambda *line: lines.append(line))
    return result, lines


def test_publish_trains_tests_switches_and_keeps_previous(setup):
    publisher, fakes = setup
    result, lines = run(publisher)
    assert result.ok and result.switched and fakes.switched == ["a.tar.gz"]
    assert [(s, st) for s, st, _ in lines if st != "start"] == [
        ("faq", "ok"), ("catalog", "ok"), ("generate", "ok"), ("rasa_validate", "ok"),
        ("train", "ok"), ("test", "ok"), ("switch", "ok")]
    fakes.version = "b"
    result, _ = run(publisher)
    state = PublishState.load(publisher.state_path)
    assert state.current.endswith("b.tar.gz") and state.previous.endswith("a.tar.gz")
    assert (fakes.models / "current.tar.gz").resolve().name == "b.tar.gz"


def test_unchanged_inputs_do_not_retrain_or_switch(setup):
    publisher, fakes = setup
    run(publisher)
    result, lines = run(publisher)
    assert fakes.trained == ["a"] and fakes.switched == ["a.tar.gz"]
    assert ("train", "skip") in [(s, st) for s, st, _ in lines] and not result.switched


def test_failed_stories_leave_the_assistant_untouched(setup):
    publisher, fakes = setup
    run(publisher)
    fakes.version, fakes.fail_test = "b", True
    result, lines = run(publisher)
    assert not result.ok and fakes.switched == ["a.tar.gz"]
    assert ("test", "fail") in [(s, st) for s, st, _ in lines]
    assert PublishState.load(publisher.state_path).current.endswith("a.tar.gz")


def test_invalid_faq_stops_before_training(setup, faq_file):
    publisher, fakes = setup
    faq_file.write_text(faq_file.read_text(encoding="utf-8").replace(
        "Owner", "x").replace("Bộ phận Một cửa tỉnh Sơn La", ""), encoding="utf-8")
    result, lines = run(publisher)
    assert not result.ok and fakes.trained == [] and fakes.switched == []
    step, status, detail = lines[-1]
    assert (step, status) == ("faq", "fail") and "row 2" in detail


def test_rollback_switches_to_the_previous_model(setup):
    publisher, fakes = setup
    run(publisher)
    fakes.version = "b"
    run(publisher)
    result = publisher.rollback(lambda *line: None)
    assert result.ok and fakes.switched[-1] == "a.tar.gz"
    state = PublishState.load(publisher.state_path)
    assert state.current.endswith("a.tar.gz") and state.previous.endswith("b.tar.gz")


def test_only_one_publish_at_a_time(setup):
    publisher, _ = setup
    with publish_lock(publisher.state_path.parent):
        result, lines = run(publisher)
    assert not result.ok and lines[-1][0] == "lock"


def test_background_job_reports_progress_and_result(setup):
    import time

    from bot.admin.jobs import PublishJobs

    publisher, fakes = setup
    done = []
    jobs = PublishJobs(lambda: publisher, done.append)
    job = jobs.start("publish", "canbo")
    for _ in range(100):
        if job.result is not None:
            break
        time.sleep(0.05)
    assert job.result.ok and done == [job] and ("switch", "ok") in [(s, st) for s, st, _ in job.lines]
    assert jobs.get(job.id) is job
