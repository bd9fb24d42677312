"""A merged merchant stays merged: later imports file its payees under the one kept."""

from __future__ import annotations

from tests.imports.conftest import Household, csv_bytes


def test_imports_after_a_merge_use_the_merchant_kept(home: Household) -> None:
    account = home.account()
    home.import_file(csv_bytes([("2024-03-01", "POS STARBUCKS #1234", "-4.20")]), "a.csv", account)
    home.import_file(csv_bytes([("2024-03-02", "Corner Coffee", "-3.00")]), "b.csv", account)
    merchants = home.ok(home.client.get("/api/v1/merchants", headers=home.headers), 200)
    by_name = {m["name"]: m["id"] for m in merchants}
    home.ok(
        home.client.post(
            f"/api/v1/merchants/{by_name['Starbucks']}/merge",
            headers=home.headers,
            json={"target_id": by_name["Corner Coffee"]},
        )
    )

    home.import_file(
        csv_bytes([("2024-03-09", "SQ *STARBUCKS STORE 991", "-5.10")]), "c.csv", account
    )
    after = home.ok(home.client.get("/api/v1/merchants", headers=home.headers), 200)
    assert [m["name"] for m in after] == ["Corner Coffee"]
    assert {t["merchant_id"] for t in home.transactions(account)} == {by_name["Corner Coffee"]}
