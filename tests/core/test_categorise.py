from __future__ import annotations

import json
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coffer.core.categorise import (
    Categoriser,
    Example,
    Suggestion,
    amount_class,
    normalise_payee,
    tokens,
)
from coffer.core.money import parse_amount, to_minor


def ledger(text: str) -> list[Example]:
    """Rows of `payee | amount | category [| account]`, oldest first."""
    examples = []
    for line in text.strip().splitlines():
        payee, amount, category, *account = (part.strip() for part in line.split("|"))
        minor = to_minor(parse_amount(amount), "GBP")
        examples.append(Example(payee, minor, category, account[0] if account else None))
    return examples


HISTORY = ledger(
    """
    CARD PAYMENT TO TESCO STORES 3321 LONDON ON 02-01-2024 | -54.20 | groceries | current
    TESCO EXPRESS #0443                                    |  -8.15 | groceries | card
    Tesco Stores                                           | -61.02 | groceries | card
    TESCO STORES 3321 LONDON                               | -12.99 | household | current
    TESCO STORES 3321 LONDON                               | -47.80 | groceries | current
    SAINSBURYS S/MKTS 0291                                 | -38.40 | groceries | card
    SHELL 123 LEEDS                                        | -55.00 | fuel      | card
    SHELL 551                                              | -60.10 | fuel      | card
    NETFLIX.COM                                            | -10.99 | subscriptions | card
    SPOTIFY UK                                             | -11.99 | subscriptions | card
    LUIGI'S PIZZERIA                                       | -34.50 | dining    | card
    NAPOLI PIZZERIA LONDON                                 | -41.00 | dining    | card
    THE RED LION                                           | -28.40 | dining    | card
    AMZN MKTP UK*2K3L45AB                                  |  -7.99 | books     | card
    AMZN MKTP UK*9QW8E7RT                                  |  -8.99 | books     | card
    AMZN MKTP UK*1Z2X3C4V                                  | -349.00 | electronics | card
    AMZN MKTP UK*5T6Y7U8I                                  | -279.99 | electronics | card
    ACME ANALYTICS LTD SALARY                              | 3100.00 | salary    | current
    ACME ANALYTICS LTD SALARY                              | 3100.00 | salary    | current
    """
)


def synthetic_history(rows: int, seed: int = 0) -> list[Example]:
    """A small noisy history: chains with store numbers, dates and mixed categories."""
    rng = random.Random(seed)
    merchants = [
        ("TESCO STORES", ["groceries"] * 8 + ["household"], 4500),
        ("TESCO EXPRESS", ["groceries", "dining"], 900),
        ("SHELL", ["fuel"], 5000),
        ("AMAZON.CO.UK*", ["books", "electronics", "household", "gifts"], 3000),
        ("BOOTS", ["health", "personal_care"], 1200),
        ("PRET A MANGER", ["dining", "coffee"], 600),
        ("NETFLIX.COM", ["subscriptions"], 1099),
    ]
    history = []
    for i in range(rows):
        name, categories, median = rng.choice(merchants)
        payee = f"{name}{rng.randint(100, 99999)} {rng.choice(['LONDON', 'YORK', ''])}"
        if rng.random() < 0.3:
            payee = f"CARD PAYMENT TO {payee} ON {1 + i % 28:02d}-03-2024"
        amount = -max(1, int(median * rng.lognormvariate(0, 0.6)))
        history.append(Example(payee, amount, rng.choice(categories), rng.choice(["a", "b"])))
    return history


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("CARD PAYMENT TO TESCO STORES 3321 LONDON ON 12-03-2024", "tesco stores"),
        ("Tesco Express #0443", "tesco express"),
        ("POS 03/12 SAFEWAY 0450 BOULDER CO", "safeway boulder"),
        ("WHOLEFDS MKT #10234 SAN FRANCISCO CA", "wholefds mkt"),
        ("DEBIT CARD PURCHASE XXXXX1234 KROGER FUEL 5218 AUSTIN", "kroger fuel"),
        ("VISA DEBIT 12MAR24 NETFLIX.COM", "netflix"),
        ("AMZN MKTP US*2K3L45", "amzn mktp"),
        ("AMAZON.CO.UK*MK3PQ1ZZ", "amazon"),
        ("SQ *BLUE BOTTLE COFFEE", "blue bottle coffee"),
        ("Sainsbury's Local", "sainsburys local"),
        ("M&S SIMPLY FOOD", "ms simply food"),
        ("CO-OP GROUP FOOD", "coop group food"),
        ("7-ELEVEN 12345", "7 eleven"),
        ("O2 UK", "o2"),
        ("DIRECT DEBIT BRITISH GAS", "british gas"),
        ("DIRECT LINE INS", "direct line ins"),
        ("PAYPAL *EBAY", "paypal ebay"),
        ("London", "london"),
        ("POS 1234", ""),
        ("", ""),
    ],
)
def test_normalise_payee(raw: str, expected: str) -> None:
    assert normalise_payee(raw) == expected


def test_tokens_are_words_then_marked_trigrams() -> None:
    assert tokens("tesco metro") == (
        "tesco", "metro",
        "_<te", "_tes", "_esc", "_sco", "_co>",
        "_<me", "_met", "_etr", "_tro", "_ro>",
    )  # fmt: skip
    assert tokens("o2") == ("o2",)
    assert tokens("") == ()


def test_amount_class_is_signed_quarter_decades() -> None:
    assert amount_class(0) == 1
    assert amount_class(100) == amount_class(176) != amount_class(177)  # 10^(9/4) ≈ 177.8
    assert amount_class(-450) == -amount_class(450) < 0
    assert amount_class(-1000) < amount_class(-999)  # larger money out, further from zero


def test_an_empty_model_suggests_nothing() -> None:
    model = Categoriser()
    assert model.predict("TESCO STORES 3321", -4520) is None
    assert model.ranked("TESCO STORES 3321", -4520) == []
    assert model.explain("TESCO STORES 3321", -4520) is None
    assert model.categories == ()


def test_a_seen_payee_gets_its_dominant_category() -> None:
    model = Categoriser.train(HISTORY)
    suggestion = model.predict("TESCO STORES 3321 LONDON", -5200, "current")
    assert suggestion is not None
    assert suggestion.category == "groceries"
    assert 0.5 <= suggestion.confidence <= 1.0
    assert model.predict("NETFLIX.COM", -1099, "card") == model.predict(
        "NETFLIX.COM", -1099, "card"
    )


def test_an_unseen_store_of_a_known_chain_and_an_unseen_restaurant_generalise() -> None:
    model = Categoriser.train(HISTORY)
    assert normalise_payee("TESCO METRO 8812 MANCHESTER") not in {
        normalise_payee(e.payee) for e in HISTORY
    }
    assert model.ranked("TESCO METRO 8812 MANCHESTER", -2310)[0].category == "groceries"
    assert model.ranked("ROMA PIZZERIA", -3800)[0].category == "dining"
    assert model.ranked("SHELL 9981 YORK", -5800)[0].category == "fuel"


def test_the_amount_separates_what_one_merchant_sells() -> None:
    model = Categoriser.train(HISTORY)
    assert model.ranked("AMZN MKTP UK*NEW0NE11", -899)[0].category == "books"
    assert model.ranked("AMZN MKTP UK*NEW0NE22", -32900)[0].category == "electronics"


def test_recent_habits_win_over_old_ones() -> None:
    old = [Example("PRET A MANGER", -420, "dining")] * 10
    new = [Example("PRET A MANGER", -430, "coffee")] * 4
    assert Categoriser.train(old + new).ranked("PRET A MANGER", -425)[0].category == "coffee"
    no_recency = Categoriser.train(old + new, decay=1.0)
    assert no_recency.ranked("PRET A MANGER", -425)[0].category == "dining"


def test_ties_go_to_the_smaller_category_id() -> None:
    model = Categoriser.train([Example("X SHOP", -500, "b"), Example("X SHOP", -500, "a")], decay=1)
    ranked = model.ranked("X SHOP", -500)
    assert ranked[0].confidence == ranked[1].confidence
    assert [s.category for s in ranked] == ["a", "b"]


def test_below_the_threshold_nothing_is_suggested() -> None:
    history = [Example("BOOTS", -900, "health"), Example("BOOTS", -950, "personal_care")] * 3
    assert Categoriser.train(history, threshold=0.9).predict("BOOTS", -920) is None
    assert Categoriser.train(history, threshold=0.0).predict("BOOTS", -920) is not None


def test_explain_names_the_history_and_the_words() -> None:
    model = Categoriser.train(HISTORY)
    why = model.explain("TESCO STORES 3321 LONDON", -5000)
    assert why is not None
    assert why.category == "groceries"
    assert why.payee == "tesco stores"
    assert why.history == (("groceries", 3), ("household", 1))
    unseen = model.explain("GINO PIZZERIA", -3000)
    assert unseen is not None
    assert unseen.history == ()
    assert unseen.words[0][0] == "pizzeria"
    assert all(weight > 0 for _word, weight in unseen.words)


def test_the_json_form_round_trips_predictions_exactly() -> None:
    history = synthetic_history(600)
    model = Categoriser.train(history[:500])
    restored = Categoriser.from_dict(json.loads(json.dumps(model.to_dict())))
    for ex in history[500:]:
        assert restored.ranked(ex.payee, ex.amount, ex.account) == model.ranked(
            ex.payee, ex.amount, ex.account
        )
        assert restored.predict(ex.payee, ex.amount) == model.predict(ex.payee, ex.amount)
    assert restored.to_dict() == model.to_dict()


def test_learning_one_by_one_equals_learning_at_once() -> None:
    history = synthetic_history(400, seed=1)
    batch = Categoriser.train(history)
    incremental = Categoriser()
    for i, ex in enumerate(history):
        incremental.learn(ex)
        if i % 50 == 0:  # predicting in between (and caching) changes nothing
            incremental.predict(ex.payee, ex.amount, ex.account)
    assert incremental.to_dict() == batch.to_dict()
    for ex in synthetic_history(50, seed=2):
        assert incremental.ranked(ex.payee, ex.amount) == batch.ranked(ex.payee, ex.amount)


def test_training_is_deterministic() -> None:
    history = synthetic_history(300, seed=3)
    first, second = Categoriser.train(history), Categoriser.train(history)
    assert json.dumps(first.to_dict()) == json.dumps(second.to_dict())
    probe = synthetic_history(30, seed=4)
    assert [first.predict(e.payee, e.amount) for e in probe] == [
        second.predict(e.payee, e.amount) for e in probe
    ]


def test_bad_parameters_and_formats_are_refused() -> None:
    with pytest.raises(ValueError, match="threshold"):
        Categoriser(threshold=1.5)
    with pytest.raises(ValueError, match="positive"):
        Categoriser(temper=0)
    with pytest.raises(ValueError, match="format"):
        Categoriser.from_dict({"version": 99})


examples = st.builds(
    Example,
    payee=st.text(alphabet="ABC XYZ#0123*-'", max_size=20),
    amount=st.integers(min_value=-(10**9), max_value=10**9),
    category=st.sampled_from(["groceries", "dining", "fuel", "rent"]),
    account=st.none() | st.sampled_from(["current", "card"]),
)


@settings(max_examples=60, deadline=None)
@given(history=st.lists(examples, min_size=1, max_size=30), probe=examples)
def test_suggestions_are_trained_categories_with_probabilities(
    history: list[Example], probe: Example
) -> None:
    model = Categoriser.train(history, threshold=0.0)
    trained = {ex.category for ex in history}
    ranked = model.ranked(probe.payee, probe.amount, probe.account)
    assert {s.category for s in ranked} == trained
    assert all(0.0 <= s.confidence <= 1.0 for s in ranked)
    assert math.isclose(sum(s.confidence for s in ranked), 1.0, rel_tol=1e-9)
    suggestion = model.predict(probe.payee, probe.amount, probe.account)
    assert suggestion == Suggestion(ranked[0].category, ranked[0].confidence)


@settings(max_examples=40, deadline=None)
@given(history=st.lists(examples, min_size=1, max_size=20), probe=examples)
def test_round_trip_and_incremental_learning_agree_on_any_history(
    history: list[Example], probe: Example
) -> None:
    batch = Categoriser.train(history)
    incremental = Categoriser()
    for ex in history:
        incremental.learn(ex)
    restored = Categoriser.from_dict(json.loads(json.dumps(batch.to_dict())))
    expected = batch.ranked(probe.payee, probe.amount, probe.account)
    assert incremental.ranked(probe.payee, probe.amount, probe.account) == expected
    assert restored.ranked(probe.payee, probe.amount, probe.account) == expected
