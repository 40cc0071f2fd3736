from __future__ import annotations

from django.utils import timezone

from byconsent.core.models import WorkerHeartbeat


def test_healthz_is_503_without_a_worker_and_200_with_one(db, client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "task_worker": "not running", "worker_last_seen": None}
    WorkerHeartbeat.objects.create(worker_id="w1", last_seen=timezone.now())
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["task_worker"] == "ok"


def test_stale_heartbeat_counts_as_down(db, client):
    WorkerHeartbeat.objects.create(worker_id="w1", last_seen=timezone.now() - timezone.timedelta(hours=1))
    assert client.get("/healthz").status_code == 503


def test_check_deploy_fails_on_development_settings(db, capsys, monkeypatch):
    from byconsent.cli import main

    monkeypatch.delenv("SECRET_KEY", raising=False)
    assert main(["check-deploy"]) == 1
    error = capsys.readouterr().err
    assert "byconsent.E001" in error and "byconsent.E003" in error and "byconsent.E004" in error


def test_worker_batch_runs_queued_tasks_and_beats(transactional_db):
    from django.core.management import call_command

    from byconsent.core import tasks
    from byconsent.core.models import OutboxEvent, TaskProgress

    progress = tasks.start("Announce", "byconsent.core.tasks.broadcast_task", {"channel": "public-x", "text": "hi"})
    call_command("run_worker", "--batch", "--no-periodic", "--interval", "0")
    progress.refresh_from_db()
    assert progress.status == TaskProgress.Status.DONE
    assert OutboxEvent.objects.get(channel="public-x").data == {"text": "hi"}


def test_failed_task_can_be_retried(transactional_db, make_user, client):
    from django.core.management import call_command

    from byconsent.core import tasks
    from byconsent.core.models import TaskProgress

    user = make_user()
    progress = tasks.start("Broken", "byconsent.core.tasks.broadcast_task", {"channel": "public-x"},
                           requested_by=user)  # no "text": the task fails
    call_command("run_worker", "--batch", "--no-periodic", "--interval", "0")
    progress.refresh_from_db()
    assert progress.status == TaskProgress.Status.FAILED and progress.attempts == 1
    progress.arguments["text"] = "fixed"
    TaskProgress.objects.filter(pk=progress.pk).update(arguments=progress.arguments)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    client.post(f"/staff/tasks/{progress.pk}/")
    call_command("run_worker", "--batch", "--no-periodic", "--interval", "0")
    progress.refresh_from_db()
    assert progress.status == TaskProgress.Status.DONE and progress.attempts == 2


def test_engine_commands_are_dispatched_by_the_byconsent_command(tmp_path, capsys):
    import pytest

    from byconsent.cli import main

    data = tmp_path / "d.csv"
    data.write_text("sex\nf\nf\nm\n")
    targets = tmp_path / "t.csv"
    targets.write_text("variable,category,proportion\nsex,f,0.5\nsex,m,0.5\n")
    output = tmp_path / "w.csv"
    assert main(["rake", "--data", str(data), "--targets", str(targets), "--output", str(output)]) == 0
    weights = [float(line.split(",")[-1]) for line in output.read_text().splitlines()[1:]]
    assert weights == pytest.approx([0.75, 0.75, 1.5])
    for command in ("select-panel", "themes"):
        with pytest.raises(SystemExit) as exit_info:
            main([command, "--help"])
        assert exit_info.value.code == 0
        assert f"byconsent {command}" in capsys.readouterr().out


def test_periodic_jobs_include_registered_app_jobs_and_survive_a_failing_one(db, monkeypatch):
    from byconsent.core import periodic

    calls = []
    monkeypatch.setattr(periodic, "_app_jobs", {})
    periodic.register_periodic("broken", lambda: 1 / 0)
    periodic.register_periodic("fine", lambda: calls.append("ran") or "ok")
    results = periodic.run_periodic_jobs()
    assert results["broken"].startswith("failed: division by zero")
    assert results["fine"] == "ok" and calls == ["ran"]
    assert "retention" in results
