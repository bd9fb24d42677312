"""Tags and split parts named in Coffer's own export, through preview and commit, on
SQLite and PostgreSQL: tags match the household's by name in any case and join the
tags rules set; unknown ones are reported, never created; split parts become split
lines with their categories."""

from __future__ import annotations

from typing import Any

from tests.imports.conftest import Household, fixture_bytes
from tests.pages import HTML, sign_in, text

FIXTURE = "coffer_export.csv"


def _rule_tagging(home: Household, payee: str, tag_id: str) -> None:
    body = {
        "name": f"Tag {payee}",
        "conditions": [{"field": "payee", "op": "contains", "value": payee}],
        "actions": {"tag_ids": [tag_id]},
    }
    home.ok(home.client.post("/api/v1/rules", headers=home.headers, json=body), 201)


def _tags(home: Household) -> dict[str, str]:
    found = home.ok(home.client.get("/api/v1/tags", headers=home.headers), 200)
    return {t["id"]: t["name"] for t in found}


def test_file_tags_join_rule_tags_and_unknown_ones_are_reported(home: Household) -> None:
    holiday = home.tag("HOLIDAY")
    errands = home.tag("errands")
    _rule_tagging(home, "Rewe", errands)
    account = home.account(currency="EUR")
    batch = home.upload(fixture_bytes(FIXTURE), FIXTURE, account)["import_batch"]
    assert batch["preset"] == "coffer"

    preview = home.preview(batch["id"])
    rows = {r["payee"]: r for r in preview["rows"]}
    assert rows["Rewe Markt"]["tag_ids"] == [errands, holiday]  # the rule's first
    assert rows["-SALE- Outlet"]["tag_ids"] == []
    assert preview["unmatched_tags"] == {"Work": 1, "-reimbursable": 1}

    committed = home.commit(batch["id"])["import_batch"]
    assert committed["result"]["unmatched_tags"] == {"Work": 1, "-reimbursable": 1}
    assert committed["result"]["tagged"] == 2
    assert sorted(_tags(home).values()) == ["HOLIDAY", "errands"]  # nothing created
    imported = {t["payee"]: t for t in home.transactions(account)}
    assert sorted(imported["Rewe Markt"]["tag_ids"]) == sorted([errands, holiday])
    assert imported["-SALE- Outlet"]["memo"] == "=1+1"


def test_split_parts_become_split_lines_with_their_categories(home: Household) -> None:
    food = home.category("Food")
    groceries = home.category("Groceries", parent_id=food)
    pharmacy = home.category("Pharmacy", parent_id=home.category("Health"))
    account = home.account(currency="EUR")
    batch = home.upload(fixture_bytes(FIXTURE), FIXTURE, account)["import_batch"]

    preview = home.preview(batch["id"])
    split = next(r for r in preview["rows"] if r["payee"] == "Rewe Markt")
    assert split["category_source"] == "split"
    assert [(s["amount"], s["category_id"], s["memo"]) for s in split["splits"]] == [
        ("-61.15", groceries, None),
        ("-25.25", pharmacy, "plasters"),
    ]
    assert home.commit(batch["id"])["import_batch"]["counts"]["added"] == 3
    imported = next(t for t in home.transactions(account) if t["payee"] == "Rewe Markt")
    assert imported["is_split"]
    assert imported["category_id"] is None
    lines: list[dict[str, Any]] = imported["splits"]
    assert [(s["amount"], s["category_id"], s["memo"]) for s in lines] == [
        ("-61.15", groceries, None),
        ("-25.25", pharmacy, "plasters"),
    ]
    assert home.import_file(fixture_bytes(FIXTURE), "again.csv", account)["counts"]["added"] == 0


def test_the_wizard_says_which_tags_it_left_off(home: Household) -> None:
    sign_in(home.client, home.user)
    account = home.account(currency="EUR")
    batch = home.upload(fixture_bytes(FIXTURE), FIXTURE, account)["import_batch"]
    preview = text(home.client.get(f"/imports/{batch['id']}/preview", headers=HTML))
    assert "Some tags in the file are not among yours" in preview
    assert "holiday, Work, -reimbursable" in preview
    home.commit(batch["id"])
    result = text(home.client.get(f"/imports/{batch['id']}", headers=HTML))
    assert "These tags in the file are not among yours" in result
