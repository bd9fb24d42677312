"""The import wizard's pages through a browser-like client, on SQLite and PostgreSQL:
upload, columns (CSV), review, commit, result, undo; saved formats; refused files;
duplicates; the background path with its progress fragment; read-only viewers; and
another household's import answering 404."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.conftest import ApiUser
from tests.imports.conftest import Household, csv_bytes, fixture_bytes
from tests.pages import HTML, csrf, post_form, sign_in, text

BANK_HEADER = "When,Who,How much,Note"
BANK_ROWS = [
    "03/01/2024,Greenleaf Grocery,-54.23,card 1234",
    "04/01/2024,Northwind Payroll,2150.00,",
    "05/01/2024,Coffee Corner,-3.50,",
]
BANK_COLUMNS = {"role": ["date", "payee", "amount", "memo"], "date_format": "%d/%m/%Y"}


def bank_csv(rows: list[str]) -> bytes:
    return ("\n".join([BANK_HEADER, *rows]) + "\n").encode()


def upload(
    client: TestClient, data: bytes, filename: str, account_id: str, **form: str
) -> httpx.Response:
    fields = {"csrf_token": csrf(client, "/imports/new"), "account_id": account_id, **form}
    response: httpx.Response = client.post(
        "/imports/new",
        data=fields,
        files={"file": (filename, data, "application/octet-stream")},
        headers=HTML,
        follow_redirects=False,
    )
    return response


def batch_of(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    found = re.match(r"/imports/([0-9a-f-]{36})/", response.headers["location"])
    assert found, response.headers["location"]
    return found.group(1)


def columns_form(extra: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    pairs = [("role", r) for r in BANK_COLUMNS["role"]]
    pairs.append(("date_format", str(BANK_COLUMNS["date_format"])))
    pairs += list((extra or {}).items())
    return pairs


def commit(client: TestClient, batch_id: str, data: list[tuple[str, str]] | None = None) -> str:
    response = post_form(client, f"/imports/{batch_id}/commit", data or [])
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/imports/{batch_id}"
    return text(client.get(f"/imports/{batch_id}", headers=HTML))


def count(page: str, name: str) -> int:
    found = re.search(rf'data-count="{name}">(\d+)<', page)
    assert found, page
    return int(found.group(1))


@pytest.fixture
def signed_in(home: Household) -> Household:
    sign_in(home.client, home.user)
    return home


def test_csv_with_columns_saved_format_duplicates_and_undo(signed_in: Household) -> None:
    home, client = signed_in, signed_in.client
    account = home.account("Everyday", "USD")

    # 1. Upload: an unknown layout goes to the columns step.
    response = upload(client, bank_csv(BANK_ROWS), "march.csv", account)
    batch = batch_of(response)
    assert response.headers["location"] == f"/imports/{batch}/columns"

    # 2. Columns: the first rows, a select per column.
    page = client.get(f"/imports/{batch}/columns", headers=HTML)
    assert page.status_code == 200
    shown = text(page)
    assert "Greenleaf Grocery" in shown
    assert "How much" in shown
    assert shown.count('name="role"') == 4
    assert 'aria-current="step"' in shown

    # A mapping without a date is refused with the reason, and nothing is saved.
    refused = post_form(client, f"/imports/{batch}/columns", [("role", "payee")])
    assert refused.status_code == 422
    assert "Choose the column that holds the date" in text(refused)
    assert home.ok(client.get("/api/v1/import-formats", headers=home.headers))["items"] == []

    saved = post_form(client, f"/imports/{batch}/columns", columns_form({"save_as": "My bank"}))
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/imports/{batch}/preview"

    # 3. Review: the rows as they will be imported.
    review = client.get(f"/imports/{batch}/preview", headers=HTML)
    assert review.status_code == 200
    shown = text(review)
    assert "Northwind Payroll" in shown
    assert "card 1234" in shown
    assert count(shown, "new") == 3
    assert count(shown, "duplicates") == 0
    assert "$2,150.00" in shown

    # 4. Commit, and the result.
    result = commit(client, batch)
    assert "Import finished" in result
    assert count(result, "added") == 3
    assert f'href="/accounts/{account}"' in result
    assert len(home.transactions(account)) == 3

    listing = text(client.get("/imports", headers=HTML))
    assert "march.csv" in listing
    assert f"/imports/{batch}/undo" in listing

    # The saved format skips the columns step; rows already there are counted, not added.
    formats = home.ok(client.get("/api/v1/import-formats", headers=home.headers))["items"]
    assert [f["name"] for f in formats] == ["My bank"]
    again = upload(
        client,
        bank_csv([*BANK_ROWS[1:], "06/01/2024,Lakeside Books,-12.00,gift"]),
        "march-and-more.csv",
        account,
        source=f"format:{formats[0]['id']}",
    )
    second = batch_of(again)
    assert again.headers["location"] == f"/imports/{second}/preview"
    review = text(client.get(f"/imports/{second}/preview", headers=HTML))
    assert count(review, "new") == 1
    assert count(review, "duplicates") == 2
    assert "Already imported, skipped" in review
    result = commit(client, second)
    assert count(result, "added") == 1
    assert count(result, "duplicates") == 2
    assert len(home.transactions(account)) == 4

    # Undo: a confirmation first, then the whole batch goes.
    confirm = client.get(f"/imports/{batch}/undo", headers=HTML)
    assert confirm.status_code == 200
    assert "removes the 3 transactions" in text(confirm)
    undone = post_form(client, f"/imports/{batch}/undo")
    assert undone.status_code == 303
    assert undone.headers["location"] == f"/imports/{batch}"
    result = text(client.get(f"/imports/{batch}", headers=HTML))
    assert "Import undone" in result
    assert "3 transactions removed" in result
    assert [t["payee"] for t in home.transactions(account)] == ["Lakeside Books"]
    # Undone once is undone: the page no longer offers it.
    assert (
        client.get(f"/imports/{batch}/undo", headers=HTML, follow_redirects=False).status_code
        == 303
    )


def test_ofx_needs_no_columns(signed_in: Household) -> None:
    home, client = signed_in, signed_in.client
    account = home.account("Lakeside", "USD")
    response = upload(client, fixture_bytes("bank_v1.ofx"), "bank.ofx", account)
    batch = batch_of(response)
    assert response.headers["location"] == f"/imports/{batch}/preview"
    assert (
        client.get(f"/imports/{batch}/columns", headers=HTML, follow_redirects=False).headers[
            "location"
        ]
        == f"/imports/{batch}/preview"
    )
    review = text(client.get(f"/imports/{batch}/preview", headers=HTML))
    assert "OFX/QFX" in review
    assert "Columns" not in review.split("<main", 1)[1].split("</nav>")[0]
    parsed = count(review, "new")
    assert parsed > 0
    result = commit(client, batch)
    assert count(result, "added") == parsed == len(home.transactions(account))


def test_malformed_files_show_their_lines_and_import_nothing(signed_in: Household) -> None:
    home, client = signed_in, signed_in.client
    account = home.account("Everyday", "USD")

    binary = upload(client, fixture_bytes("broken_binary.csv"), "broken.csv", account)
    assert binary.status_code == 422
    assert "The file was not imported" in text(binary)
    assert "Line 1" in text(binary)

    bad = upload(client, fixture_bytes("broken_bad_amount.csv"), "bad.csv", account)
    batch = batch_of(bad)
    mapped = post_form(
        client,
        f"/imports/{batch}/columns",
        [("role", "date"), ("role", "payee"), ("role", "amount"), ("date_format", "%Y-%m-%d")],
    )
    assert mapped.status_code == 303
    review = client.get(f"/imports/{batch}/preview", headers=HTML)
    assert review.status_code == 422
    shown = text(review)
    assert "Line 3" in shown
    assert "twelve" in shown
    assert "Nothing was imported" in shown
    refused = post_form(client, f"/imports/{batch}/commit")
    assert refused.status_code == 422
    assert "Line 3" in text(refused)
    assert home.transactions(account) == []

    missing = post_form(client, "/imports/new", {"account_id": account})
    assert missing.status_code == 422
    assert "Choose the file your bank gave you" in text(missing)


def test_possible_duplicates_can_be_left_out(signed_in: Household) -> None:
    home, client = signed_in, signed_in.client
    account = home.account("Everyday", "USD")
    home.ok(
        client.post(
            "/api/v1/transactions",
            headers=home.headers,
            json={
                "account_id": account,
                "posted_on": "2024-01-04",
                "amount": "-3.50",
                "payee": "Coffee Corner",
            },
        )
    )
    batch = batch_of(upload(client, bank_csv(BANK_ROWS), "march.csv", account))
    post_form(client, f"/imports/{batch}/columns", columns_form())
    review = text(client.get(f"/imports/{batch}/preview", headers=HTML))
    assert count(review, "fuzzy") == 1
    assert "Possible duplicate" in review
    line = re.search(r'name="fuzzy_line" value="(\d+)"', review)
    assert line
    assert 'name="keep_line"' in review
    # The box left unticked: the likely duplicate is not added.
    result = commit(client, batch, [("fuzzy_line", line.group(1))])
    assert count(result, "added") == 2
    assert count(result, "fuzzy") == 1
    assert "1 left out by you" in result
    assert len(home.transactions(account)) == 3


def test_large_files_commit_and_undo_in_the_background(
    home: Household, client_with: Callable[..., TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    small = client_with(import_background_rows=5)
    sign_in(small, home.user)
    local = Household(small, home.user)
    account = local.account("Everyday", "USD")
    rows = csv_bytes(
        [(f"2024-02-{1 + i % 28:02d}", f"SHOP {i}", f"-{i + 1}.25") for i in range(40)]
    )
    batch = batch_of(upload(small, rows, "year.csv", account, source="preset:actual"))
    # The Actual preset names other columns; the columns step maps this file instead.
    assert (
        post_form(
            small,
            f"/imports/{batch}/columns",
            [("role", "date"), ("role", "payee"), ("role", "amount"), ("date_format", "%Y-%m-%d")],
        ).status_code
        == 303
    )

    runtime = small.app.state.jobs  # type: ignore[attr-defined]
    held: list[Any] = []
    send = runtime.dispatcher.submit
    monkeypatch.setattr(runtime.dispatcher, "submit", held.append)
    response = post_form(small, f"/imports/{batch}/commit")
    assert response.status_code == 303
    assert response.headers["location"] == f"/imports/{batch}"
    waiting = text(small.get(f"/imports/{batch}", headers=HTML))
    assert "<progress" in waiting
    assert f'hx-get="/imports/{batch}/progress"' in waiting
    assert 'hx-trigger="every 1s"' in waiting
    assert "Refresh" in waiting
    fragment = small.get(f"/imports/{batch}/progress", headers={**HTML, "HX-Request": "true"})
    assert fragment.status_code == 200
    assert "Waiting to start" in fragment.text
    assert "<html" not in fragment.text

    send(held.pop())
    result = _until_done(small, batch)
    assert count(result, "added") == 40
    assert len(local.transactions(account)) == 40

    undo = post_form(small, f"/imports/{batch}/undo")
    assert undo.status_code == 303
    send(held.pop())
    result = _until_done(small, batch)
    assert "Import undone" in result
    assert local.transactions(account) == []


def _until_done(client: TestClient, batch: str) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        polled = client.get(
            f"/imports/{batch}/progress",
            headers={**HTML, "HX-Request": "true"},
            follow_redirects=False,
        )
        assert polled.status_code == 200, polled.text
        if polled.headers.get("HX-Redirect") == f"/imports/{batch}":
            plain = client.get(f"/imports/{batch}/progress", headers=HTML, follow_redirects=False)
            assert plain.status_code == 303
            return text(client.get(f"/imports/{batch}", headers=HTML))
        assert "<progress" in polled.text
        time.sleep(0.05)
    raise AssertionError("the import job did not finish")


def test_viewers_see_imports_read_only(home: Household, bob: ApiUser) -> None:
    client = home.client
    account = home.account("Everyday", "USD")
    done = home.import_file(csv_bytes([("2024-01-02", "Coffee", "-3.50")]), "jan.csv", account)
    pending = home.upload(csv_bytes([("2024-01-03", "Tea", "-2.50")]), "feb.csv", account)
    pending_id = pending["import_batch"]["id"]
    invitation = client.post(
        f"/api/v1/tenants/{home.user.personal_tenant_id}/invitations",
        headers=home.headers,
        json={"role": "viewer"},
    )
    token = str(invitation.json()["url"]).rsplit("/", 1)[-1]
    assert client.post(f"/api/v1/invitations/{token}/accept", headers=bob.headers).status_code < 300

    viewer = TestClient(client.app)
    sign_in(viewer, bob)
    switched = post_form(viewer, "/tenants/switch", {"tenant_id": home.user.personal_tenant_id})
    assert switched.status_code == 303

    listing = text(viewer.get("/imports", headers=HTML))
    assert "jan.csv" in listing
    assert "/imports/new" not in listing
    assert "/undo" not in listing
    assert "you can look" in text(viewer.get("/imports/new", headers=HTML))
    result = text(viewer.get(f"/imports/{done['id']}", headers=HTML))
    assert "Import finished" in result
    assert "Undo this import" not in result
    review = viewer.get(f"/imports/{pending_id}/preview", headers=HTML)
    assert review.status_code == 200
    assert 'action="/imports/' not in review.text

    for action in (
        f"/imports/{done['id']}/undo",
        f"/imports/{pending_id}/commit",
        f"/imports/{pending_id}/columns",
    ):
        assert post_form(viewer, action).status_code == 403, action
    assert (
        upload(viewer, csv_bytes([("2024-01-04", "X", "-1")]), "x.csv", account).status_code == 403
    )
    assert viewer.get(f"/imports/{done['id']}/undo", headers=HTML).status_code == 403
    assert len(home.transactions(account)) == 1


def test_another_households_import_is_not_found(home: Household, bob: ApiUser) -> None:
    account = home.account("Everyday", "USD")
    done = home.import_file(csv_bytes([("2024-01-02", "Coffee", "-3.50")]), "jan.csv", account)
    stranger = TestClient(home.client.app)
    sign_in(stranger, bob)
    for path in ("", "/preview", "/columns", "/progress", "/undo"):
        assert stranger.get(f"/imports/{done['id']}{path}", headers=HTML).status_code == 404
    assert post_form(stranger, f"/imports/{done['id']}/undo").status_code == 404
    assert "jan.csv" not in text(stranger.get("/imports", headers=HTML))
    assert len(home.transactions(account)) == 1


def test_long_previews_page_and_show_where_categories_come_from(signed_in: Household) -> None:
    home, client = signed_in, signed_in.client
    account = home.account("Everyday", "USD")
    home.category("Groceries")
    mapping = {
        "date_column": "Date",
        "amount_column": "Amount",
        "payee_column": "Description",
        "category_column": "Category",
        "date_format": "%Y-%m-%d",
    }
    saved = home.ok(
        client.post(
            "/api/v1/import-formats",
            headers=home.headers,
            json={"name": "Card", "mapping": mapping},
        )
    )
    lines = ["Date,Description,Amount,Category"]
    lines += [f"2024-03-{1 + i % 28:02d},Shop {i},-{i + 1}.00,Groceries" for i in range(60)]
    data = ("\n".join(lines) + "\n").encode()
    batch = batch_of(upload(client, data, "card.csv", account, source=f"format:{saved['id']}"))
    first = text(client.get(f"/imports/{batch}/preview", headers=HTML))
    assert count(first, "new") == 60
    assert "Page 1 of 2" in first
    assert "Rows 1–50 of 60" in first
    assert "From the file" in first
    second = text(client.get(f"/imports/{batch}/preview?page=2", headers=HTML))
    assert "Rows 51–60 of 60" in second
    assert "Shop 55" in second
    assert "Shop 55" not in first


def test_an_import_with_reconciled_rows_is_not_offered_for_undo(signed_in: Household) -> None:
    home, client = signed_in, signed_in.client
    account = home.account("Everyday", "USD")
    rows = [("2024-01-02", "Coffee", "-3.50"), ("2024-01-03", "Tea", "-2.50")]
    locked = home.import_file(csv_bytes(rows), "jan.csv", account)["id"]
    free = home.import_file(csv_bytes([("2024-02-02", "Cake", "-4.00")]), "feb.csv", account)["id"]
    january = [t for t in home.transactions(account) if t["posted_on"].startswith("2024-01")]
    assert len(january) == 2
    api = f"/api/v1/accounts/{account}/reconciliations"
    recon = home.ok(
        client.post(
            api,
            headers=home.headers,
            json={"statement_on": "2024-01-31", "statement_balance": "-6.00"},
        ),
        201,
    )
    home.ok(
        client.post(
            f"{api}/{recon['id']}/toggle",
            headers=home.headers,
            json={"transaction_ids": [t["id"] for t in january]},
        )
    )
    home.ok(client.post(f"{api}/{recon['id']}/finish", headers=home.headers))

    listing = text(client.get("/imports", headers=HTML))
    assert f"/imports/{free}/undo" in listing
    assert f"/imports/{locked}/undo" not in listing
    result = text(client.get(f"/imports/{locked}", headers=HTML))
    assert "Undo this import" not in result
    assert "2 transactions of this import have been reconciled since" in result
    confirm = text(client.get(f"/imports/{locked}/undo", headers=HTML))
    assert "cannot be undone now" in confirm
    assert f'action="/imports/{locked}/undo"' not in confirm
    refused = post_form(client, f"/imports/{locked}/undo")
    assert refused.status_code == 422
    assert "reconciled since" in refused.text
    assert len(home.transactions(account)) == 3
