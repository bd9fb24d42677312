"""Large imports run as background jobs: 202 with a job, progress while it runs, the
result at the end; a refused file fails the job with its lines and leaves nothing."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.imports.conftest import Household, csv_bytes
from tests.jobs.conftest import wait_for_job


def _rows(count: int) -> list[tuple[str, str, str]]:
    return [
        (
            f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}",
            f"SHOP NUMBER {i}",
            f"-{1 + i % 90}.{i % 100:02d}",
        )
        for i in range(count)
    ]


def test_a_large_file_commits_in_the_background(
    home: Household, client_with: Callable[..., TestClient]
) -> None:
    small = Household(client_with(import_background_rows=50), home.user)
    account = small.account()
    data = csv_bytes(_rows(400))
    batch = small.upload(data, "year.csv", account)["import_batch"]
    response = small.commit_raw(batch["id"], {}, **{"Idempotency-Key": "big-commit"})
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["import_batch"]["status"] == "queued"
    job = body["job"]
    assert job["kind"] == "import.commit"
    assert job["status"] in ("queued", "running", "succeeded")
    finished, seen = wait_for_job(small.client, job["id"], small.headers)
    assert finished["status"] == "succeeded", finished
    assert finished["percent"] == 100
    assert finished["done"] == finished["total"] == 400
    assert finished["result"]["added"] == 400
    assert all(s["percent"] is None or 0 <= s["percent"] <= 100 for s in seen)
    committed = small.ok(small.client.get(f"/api/v1/imports/{batch['id']}", headers=small.headers))
    assert committed["status"] == "committed"
    assert committed["job_id"] == job["id"]
    assert len(small.transactions(account)) == 400
    replay = small.commit_raw(batch["id"], {}, **{"Idempotency-Key": "big-commit"})
    assert replay.status_code == 202
    assert replay.headers["Idempotent-Replayed"] == "true"
    again = small.upload(data, "year-again.csv", account)["import_batch"]
    again_job = small.commit_raw(again["id"]).json()["job"]
    assert wait_for_job(small.client, again_job["id"], small.headers)[0]["result"]["added"] == 0
    undo = small.undo_raw(batch["id"])
    assert undo.status_code == 202
    undone, _ = wait_for_job(small.client, undo.json()["job"]["id"], small.headers)
    assert undone["status"] == "succeeded"
    assert small.transactions(account) == []


def test_a_refused_file_fails_its_job_and_imports_nothing(
    home: Household, client_with: Callable[..., TestClient]
) -> None:
    small = Household(client_with(import_background_rows=10), home.user)
    account = small.account()
    rows = _rows(100)
    rows[70] = ("2024-02-30", "NO SUCH DAY", "-1.00")
    batch = small.upload(csv_bytes(rows), "bad.csv", account)["import_batch"]
    response = small.commit_raw(batch["id"])
    assert response.status_code == 202, response.text
    finished, _ = wait_for_job(small.client, response.json()["job"]["id"], small.headers)
    assert finished["status"] == "failed"
    assert finished["error"]["status"] == 422
    assert finished["error"]["errors"][0]["field"] == "line 72"
    after = small.ok(small.client.get(f"/api/v1/imports/{batch['id']}", headers=small.headers))
    assert after["status"] == "uploaded"
    assert after["last_error"]["errors"][0]["field"] == "line 72"
    assert small.transactions(account) == []


def test_jobs_of_another_household_answer_404(
    home: Household, bob: object, client_with: Callable[..., TestClient]
) -> None:
    small = Household(client_with(import_background_rows=5), home.user)
    account = small.account()
    batch = small.upload(csv_bytes(_rows(20)), "x.csv", account)["import_batch"]
    job = small.commit_raw(batch["id"]).json()["job"]
    wait_for_job(small.client, job["id"], small.headers)
    stranger = small.client.get(f"/api/v1/jobs/{job['id']}", headers=bob.headers)  # type: ignore[attr-defined]
    assert stranger.status_code == 404
    assert small.client.get("/api/v1/jobs/not-an-id", headers=small.headers).status_code == 422
