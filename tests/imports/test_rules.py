"""Category rules and merchant aliases: their API, their order and semantics, and the
rule page's matches."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from coffer.errors import ValidationFailed
from coffer.imports.rules_engine import RuleEngine, RuleSpec, check_actions, check_conditions
from tests.imports.conftest import Household, csv_bytes

ROWS = [
    ("2024-04-01", "TESCO STORES 3321 LONDON", "-42.10"),
    ("2024-04-02", "TESCO PFS 9911", "-61.00"),
    ("2024-04-03", "SQ *BLUE BOTTLE COFFEE 0423", "-4.50"),
    ("2024-04-04", "ACME ANALYTICS SALARY", "2500.00"),
    ("2024-04-05", "AMAZON.CO.UK*2K4J11", "-129.99"),
    ("2024-04-06", "AMAZON.CO.UK*8H1Z22", "-9.99"),
]


def _rule(home: Household, name: str, conditions: list[dict[str, Any]], **actions: Any) -> Any:
    body = {"name": name, "conditions": conditions, "actions": actions}
    return home.ok(home.client.post("/api/v1/rules", headers=home.headers, json=body), 201)


def _contains(value: str) -> list[dict[str, Any]]:
    return [{"field": "payee", "op": "contains", "value": value}]


def test_rules_categorise_tag_and_name_merchants_in_order(home: Household) -> None:
    groceries, fuel = home.category("Groceries"), home.category("Fuel")
    shopping, big = home.category("Shopping"), home.category("Big purchases")
    salary = home.category("Salary", kind="income")
    online, work = home.tag("online"), home.tag("work")
    # Order matters: the fuel rule comes first and wins TESCO PFS.
    _rule(home, "Fuel", [{"field": "payee", "op": "regex", "value": r"\bpfs\b"}], category_id=fuel)
    _rule(home, "Tesco", _contains("tesco"), category_id=groceries, merchant="Tesco")
    _rule(
        home,
        "Big Amazon",
        [*_contains("amazon"), {"field": "amount", "op": "between", "max": "-100.00"}],
        category_id=big,
        tag_ids=[online],
    )
    _rule(home, "Amazon", _contains("amazon"), category_id=shopping, tag_ids=[online])
    _rule(
        home,
        "Pay",
        [{"field": "payee", "op": "ends_with", "value": "salary"}],
        category_id=salary,
        tag_ids=[work],
        memo="Monthly pay",
    )
    account = home.account()
    batch = home.upload(csv_bytes(ROWS), "april.csv", account)["import_batch"]
    rows = {r["payee"]: r for r in home.preview(batch["id"])["rows"]}
    assert rows["TESCO PFS 9911"]["category_id"] == fuel
    assert rows["TESCO PFS 9911"]["merchant"] == "Tesco"  # merchant from the later rule
    assert rows["TESCO STORES 3321 LONDON"]["category_id"] == groceries
    assert rows["AMAZON.CO.UK*2K4J11"]["category_id"] == big
    assert rows["AMAZON.CO.UK*8H1Z22"]["category_id"] == shopping
    assert rows["AMAZON.CO.UK*2K4J11"]["tag_ids"] == [online]
    assert rows["ACME ANALYTICS SALARY"]["memo"] == "Monthly pay"
    assert rows["SQ *BLUE BOTTLE COFFEE 0423"]["category_source"] == "none"
    assert rows["SQ *BLUE BOTTLE COFFEE 0423"]["merchant"] == "Blue Bottle Coffee"
    home.commit(batch["id"])
    stored = {t["payee"]: t for t in home.transactions(account)}
    assert stored["ACME ANALYTICS SALARY"]["category_id"] == salary
    assert stored["ACME ANALYTICS SALARY"]["tag_ids"] == [work]
    assert stored["TESCO STORES 3321 LONDON"]["merchant"] == "Tesco"
    assert stored["TESCO PFS 9911"]["merchant"] == "Tesco"
    assert stored["SQ *BLUE BOTTLE COFFEE 0423"]["merchant"] == "Blue Bottle Coffee"


def test_stop_processing_and_disabled_rules(home: Household) -> None:
    groceries = home.category("Groceries")
    treats = home.tag("treats")
    first = _rule(home, "Tesco", _contains("tesco"), category_id=groceries)
    _rule(home, "Tesco treats", _contains("tesco"), tag_ids=[treats])
    home.ok(
        home.client.patch(
            f"/api/v1/rules/{first['id']}", headers=home.headers, json={"stop_processing": True}
        ),
        200,
    )
    account = home.account()
    batch = home.upload(csv_bytes(ROWS[:1]), "a.csv", account)["import_batch"]
    assert home.preview(batch["id"])["rows"][0]["tag_ids"] == []
    home.ok(
        home.client.patch(
            f"/api/v1/rules/{first['id']}", headers=home.headers, json={"enabled": False}
        ),
        200,
    )
    row = home.preview(batch["id"])["rows"][0]
    assert row["tag_ids"] == [treats]
    assert row["category_id"] is None


def test_reorder_update_delete_and_matches(home: Household) -> None:
    groceries, fuel = home.category("Groceries"), home.category("Fuel")
    account = home.account()
    home.import_file(csv_bytes(ROWS), "april.csv", account)
    tesco = _rule(home, "Tesco", _contains("tesco"), category_id=groceries)
    pfs = _rule(home, "PFS", _contains("pfs"), category_id=fuel)
    listed = home.ok(home.client.get("/api/v1/rules", headers=home.headers), 200)
    assert [r["name"] for r in listed] == ["Tesco", "PFS"]
    reordered = home.client.post(
        "/api/v1/rules/reorder", headers=home.headers, json={"ids": [pfs["id"], tesco["id"]]}
    )
    assert [r["name"] for r in home.ok(reordered, 200)] == ["PFS", "Tesco"]
    partial = home.client.post(
        "/api/v1/rules/reorder", headers=home.headers, json={"ids": [pfs["id"]]}
    )
    assert partial.status_code == 422
    matches = home.ok(
        home.client.get(f"/api/v1/rules/{tesco['id']}/matches", headers=home.headers), 200
    )
    assert sorted(m["payee"] for m in matches["items"]) == [
        "TESCO PFS 9911",
        "TESCO STORES 3321 LONDON",
    ]
    assert matches["complete"] is True
    tried = home.client.post(
        "/api/v1/rules/test",
        headers=home.headers,
        json={"conditions": [{"field": "amount", "op": "between", "min": "100"}]},
    )
    assert [m["payee"] for m in home.ok(tried, 200)["items"]] == ["ACME ANALYTICS SALARY"]
    renamed = home.client.patch(
        f"/api/v1/rules/{tesco['id']}", headers=home.headers, json={"name": "Supermarket"}
    )
    assert home.ok(renamed, 200)["name"] == "Supermarket"
    assert (
        home.client.delete(f"/api/v1/rules/{tesco['id']}", headers=home.headers).status_code == 204
    )
    assert home.client.get(f"/api/v1/rules/{tesco['id']}", headers=home.headers).status_code == 404


def test_rules_refuse_bad_conditions_and_unknown_ids(home: Household) -> None:
    client, h = home.client, home.headers
    bad_regex = client.post(
        "/api/v1/rules",
        headers=h,
        json={
            "name": "Bad",
            "conditions": [{"field": "payee", "op": "regex", "value": "(a+)+$"}],
            "actions": {"memo": "x"},
        },
    )
    assert bad_regex.status_code == 422
    assert bad_regex.json()["errors"][0]["field"] == "conditions.0.value"
    no_action = client.post(
        "/api/v1/rules",
        headers=h,
        json={"name": "None", "conditions": _contains("x"), "actions": {}},
    )
    assert no_action.status_code == 422
    stranger = client.post(
        "/api/v1/rules",
        headers=h,
        json={
            "name": "Stranger",
            "conditions": _contains("x"),
            "actions": {"category_id": str(uuid.uuid4())},
        },
    )
    assert stranger.status_code == 404
    float_amount = client.post(
        "/api/v1/rules",
        headers=h,
        json={
            "name": "Float",
            "conditions": [{"field": "amount", "op": "between", "min": 1.5}],
            "actions": {"memo": "x"},
        },
    )
    assert float_amount.status_code == 422


def test_aliases_name_merchants_with_precedence(home: Household) -> None:
    client, h = home.client, home.headers

    def alias(pattern: str, match: str, merchant: str) -> Any:
        body = {"pattern": pattern, "match": match, "merchant": merchant}
        return home.ok(client.post("/api/v1/merchant-aliases", headers=h, json=body), 201)

    alias("amazon", "contains", "Amazon")
    alias("amazon.co.uk", "contains", "Amazon UK")  # longer: wins over "amazon"
    exact = alias("tesco pfs 9911", "exact", "Tesco Petrol")
    alias(r"^tesco", "regex", "Tesco")
    duplicate = client.post(
        "/api/v1/merchant-aliases",
        headers=h,
        json={"pattern": "amazon", "match": "contains", "merchant": "Other"},
    )
    assert duplicate.status_code == 422
    account = home.account()
    batch = home.upload(csv_bytes(ROWS), "april.csv", account)["import_batch"]
    merchants = {r["payee"]: r["merchant"] for r in home.preview(batch["id"])["rows"]}
    assert merchants["AMAZON.CO.UK*2K4J11"] == "Amazon UK"
    assert merchants["TESCO PFS 9911"] == "Tesco Petrol"
    assert merchants["TESCO STORES 3321 LONDON"] == "Tesco"
    home.commit(batch["id"])
    stored = {t["payee"]: t["merchant"] for t in home.transactions(account)}
    assert stored["TESCO PFS 9911"] == "Tesco Petrol"
    listed = home.ok(client.get("/api/v1/merchant-aliases", headers=h), 200)
    assert len(listed) == 4
    changed = client.patch(
        f"/api/v1/merchant-aliases/{exact['id']}", headers=h, json={"merchant": "Petrol"}
    )
    assert home.ok(changed, 200)["merchant_name"] == "Petrol"
    assert client.delete(f"/api/v1/merchant-aliases/{exact['id']}", headers=h).status_code == 204
    assert client.get(f"/api/v1/merchant-aliases/{exact['id']}", headers=h).status_code == 404


# --- the engine on its own ---------------------------------------------------------------


def _engine(*specs: tuple[list[dict[str, Any]], dict[str, Any], bool]) -> RuleEngine:
    return RuleEngine(
        [
            RuleSpec(uuid.uuid4(), check_conditions(c), check_actions(a), stop)
            for c, a, stop in specs
        ],
        account_id=None,
        minor_units=2,
    )


def test_engine_first_category_wins_tags_accumulate() -> None:
    a, b, t1, t2 = (str(uuid.uuid4()) for _ in range(4))
    engine = _engine(
        (_contains("coffee"), {"category_id": a, "tag_ids": [t1]}, False),
        (_contains("bottle"), {"category_id": b, "tag_ids": [t2], "merchant": "Blue"}, False),
    )
    outcome = engine.apply("SQ *BLUE  BOTTLE Coffee", "", -450)
    assert outcome is not None
    assert str(outcome.category_id) == a
    assert [str(t) for t in outcome.tag_ids] == [t1, t2]
    assert outcome.merchant == "Blue"
    assert engine.apply("TEA HOUSE", "", -450) is None


def test_engine_amount_bounds_are_inclusive_and_per_currency() -> None:
    conditions = [{"field": "amount", "op": "between", "min": "-10.005", "max": "-1"}]
    spec = RuleSpec(uuid.uuid4(), check_conditions(conditions), {"memo": "small"})
    cents = RuleEngine([spec], account_id=None, minor_units=2)
    assert cents.apply("x", "", -100) is not None
    assert cents.apply("x", "", -1000) is not None
    assert cents.apply("x", "", -1001) is None  # -10.01 is below -10.005
    assert cents.apply("x", "", -99) is None
    yen = RuleEngine([spec], account_id=None, minor_units=0)
    assert yen.apply("x", "", -10) is not None
    assert yen.apply("x", "", -11) is None


def test_engine_multiple_text_conditions_all_hold() -> None:
    conditions = [
        {"field": "payee", "op": "starts_with", "value": "tesco"},
        {"field": "payee", "op": "contains", "value": "pfs"},
        {"field": "memo", "op": "equals", "value": "card payment"},
    ]
    engine = _engine(
        (conditions, {"memo": "fuel"}, False), (_contains("tesco"), {"memo": "x"}, False)
    )
    hit = engine.apply("TESCO PFS 12", "Card  Payment", -100)
    assert hit is not None
    assert len(hit.rule_ids) == 2
    assert hit.memo == "fuel"
    miss = engine.apply("TESCO PFS 12", "online", -100)
    assert miss is not None
    assert len(miss.rule_ids) == 1


@pytest.mark.parametrize(
    "condition",
    [
        {"field": "payee", "op": "like", "value": "x"},
        {"field": "payee", "op": "contains", "value": ""},
        {"field": "amount", "op": "between"},
        {"field": "amount", "op": "between", "min": "5", "max": "1"},
        {"field": "account", "op": "in", "value": ["nope"]},
        {"field": "colour", "op": "in", "value": ["red"]},
    ],
)
def test_conditions_are_checked(condition: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed):
        check_conditions([condition])
