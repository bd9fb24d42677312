"""Learned categorisation: suggest a category from a household's own categorised history.

Used for transactions that no rule categorises. Each step below is the prior of the
next (Dirichlet smoothing, so every step's answer is a probability distribution):

1. A multinomial naive Bayes over the words and character trigrams of the normalised
   payee, plus the amount's sign and the account. It generalises: a new store number
   of a known chain, a truncated name, a new restaurant called "... Pizzeria". Each
   (payee, category) pair counts 1, 2, 2, 3, 3, 3, 3, 4, ... (the bit length of its
   row count), not once per row, so a payee seen 500 times does not drown the rest.
2. The payee's memory: how this household filed this exact normalised payee, with
   recency (an older row of the payee weighs `decay` times less for each later row of
   it), so a change of habit wins after a few rows.
3. How typical the amount's size is for each category, learnt over all payees.
4. The same memory as 2, for the payee at this sign and size of amount ("Amazon, -3.16
   to -5.61" against "Amazon, -56.23 to -100.00"), for merchants selling several kinds
   of thing.

Conventions:
- Amounts are signed integers of minor units; no float ever holds money. Sizes are
  quarter-decade classes computed with integers. Scores and confidences are floats
  computed from integer counts and stored recency weights.
- Deterministic: no randomness and no dependence on dict order; ties go to the smaller
  category id. Learning examples one by one (`learn`) gives exactly the model that
  learning them at once gives, and `to_dict`/`from_dict` round-trip predictions bit
  for bit (JSON keeps floats exactly).
- Examples come oldest first: recency is by arrival, not by date, so history without
  dates works too.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

FORMAT_VERSION = 1

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATE_OR_TIME = re.compile(
    rf"""\b(?:on\s+)?(?:
        \d{{1,4}}[/.-]\d{{1,2}}(?:[/.-]\d{{2,4}})?      # 12/03, 2024-03-12, 12.03.24
      | \d{{1,2}}:\d{{2}}(?::\d{{2}})?                  # 13:45
      | \d{{1,2}}\s?{_MONTH}\.?(?:\s?\d{{2,4}})?        # 12mar24, 12 march 2024
      | {_MONTH}\.?\s\d{{1,2}}(?:,?\s\d{{4}})?          # mar 12, march 12, 2024
    )\b""",
    re.VERBOSE,
)
_PHRASES = re.compile(
    r"\b(?:direct debit|standing order|card payment|faster payment|bill payment|"
    r"debit card purchase|point of sale|recurring payment|apple pay|google pay)\b"
)
_JOIN = re.compile(r"(?<=[^\W\d_])['’&-](?=[^\W\d_])")  # sainsbury's, m&s, wal-mart
_SEPARATORS = re.compile(r"[\W_]+")
_DIGIT = re.compile(r"\d")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Card, terminal and channel words, legal and web suffixes: noise wherever they appear.
_NOISE = _words(
    "pos visa mastercard mc debit credit card purchase contactless cnp payment ref "
    "dd ddr so sto fpo fpi bgc tfr to from on at via sq tst sp iz zettle sumup "
    "ltd limited plc inc llc corp co com www net org uk gb gbr"
)
# Places banks append: US states, country codes, big cities. Stripped from the end only,
# and never the payee's last word.
_STATES = _words(
    "al ak az ar ca co ct de dc fl ga hi id il in ia ks ky la me md ma mi mn ms mo mt ne "
    "nv nh nj nm ny nc nd oh ok or pa ri sc sd tn tx ut vt va wa wv wi wy"
)
_PLACES = _words(
    "usa us fr es de ie nl it pt mx ca au london manchester birmingham leeds glasgow "
    "liverpool bristol sheffield edinburgh cardiff belfast newcastle nottingham leicester "
    "brighton oxford cambridge york southampton portsmouth coventry bradford "
    "new_york brooklyn manhattan queens chicago houston phoenix philadelphia dallas "
    "san_antonio san_diego san_jose san_francisco austin seattle denver boston atlanta "
    "miami portland detroit las_vegas los_angeles washington oakland minneapolis "
    "paris madrid barcelona berlin rome roma amsterdam dublin lisbon"
)
# Size classes: quarter-decades of minor units (1.00, 1.77, 3.16, 5.62, 10.00, ... in a
# currency of two decimals), integers only.
_EDGES = tuple(math.isqrt(math.isqrt(10**k)) for k in range(48))
_CACHE_LIMIT = 200_000


def normalise_payee(raw: str) -> str:
    """The payee as a person would name it: lower case, without card and terminal noise.

    >>> normalise_payee("CARD PAYMENT TO TESCO STORES 3321 LONDON ON 12-03-2024")
    'tesco stores'
    """
    text = raw.lower()
    if _DIGIT.search(text):
        text = _DATE_OR_TIME.sub(" ", text)
    words: list[str] = []
    for word in _SEPARATORS.split(_JOIN.sub("", _PHRASES.sub(" ", text))):
        if word.isalpha():
            if word not in _NOISE:
                words.append(word)
        elif word.isdigit():
            if not words and len(word) <= 2:  # "7 eleven", "24 hour fitness"
                words.append(word)
        elif word:
            digits = sum(map(str.isdigit, word))
            if digits < 3 and (digits < 2 or len(word) < 5):  # o2, 3m; not references
                words.append(word)
    if len(words) > 2 and words[-1] in _STATES:
        words.pop()
    while len(words) > 1:
        if len(words) > 2 and f"{words[-2]}_{words[-1]}" in _PLACES:
            del words[-2:]
        elif words[-1] in _PLACES:
            words.pop()
        else:
            break
    return " ".join(words)


def tokens(normalised: str) -> tuple[str, ...]:
    """Features of a normalised payee: its words, then each word's character trigrams
    ("_" + gram, "<" and ">" marking the word's ends) for misspellings and truncation.
    Each feature once, in first-seen order."""
    words = normalised.split()
    found = dict.fromkeys(words)
    for word in words:
        for gram in _trigrams(word):
            found.setdefault(gram)
    return tuple(found)


def _trigrams(word: str) -> list[str]:
    if len(word) < 3:
        return []
    marked = f"<{word}>"
    return ["_" + marked[i : i + 3] for i in range(len(marked) - 2)]


def amount_class(amount: int) -> int:
    """Sign and size of an amount of minor units as one integer: the amount's sign times
    (1 + its quarter-decade), so -12 is money out of 3.16 to 5.61, 1 is zero."""
    if amount < 0:
        return -1 - bisect.bisect_right(_EDGES, -amount)
    return 1 + bisect.bisect_right(_EDGES, amount)


@dataclass(frozen=True, slots=True)
class Example:
    """One categorised transaction of the household's history."""

    payee: str
    amount: int  # signed minor units
    category: str
    account: str | None = None
    on: date | None = None  # accepted for callers' convenience; order of arrival is used


class Suggestion(NamedTuple):
    category: str
    confidence: float  # in [0, 1]


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a category is suggested, in terms a person recognises."""

    category: str
    confidence: float
    payee: str  # the normalised payee
    history: tuple[tuple[str, int], ...]  # times this payee was filed each way, most first
    words: tuple[tuple[str, float], ...]  # payee words that favour the category, strongest first


class _Cell:
    """One category of a memory: rows in all, and their recency weight as of row `at`."""

    __slots__ = ("at", "n", "w")

    def __init__(self, n: int, w: float, at: int) -> None:
        self.n, self.w, self.at = n, w, at


class _Memory:
    """How one key (a payee, or a payee at a size) was filed; `seen` counts its rows."""

    __slots__ = ("cells", "seen")

    def __init__(self, seen: int = 0) -> None:
        self.seen = seen
        self.cells: dict[str, _Cell] = {}

    def observe(self, category: str, decay: float) -> int:
        """Count one more row filed under `category`; return the category's row count."""
        seen = self.seen = self.seen + 1
        cell = self.cells.get(category)
        if cell is None:
            self.cells[category] = _Cell(1, 1.0, seen)
            return 1
        cell.w = cell.w * decay ** (seen - cell.at) + 1.0
        cell.at = seen
        cell.n += 1
        return cell.n

    def weights(self, decay: float) -> dict[str, float]:
        return {c: cell.w * decay ** (self.seen - cell.at) for c, cell in self.cells.items()}

    def dump(self) -> list[Any]:
        return [self.seen, {c: [v.n, v.w, v.at] for c, v in self.cells.items()}]

    @classmethod
    def load(cls, raw: list[Any]) -> _Memory:
        memory = cls(int(raw[0]))
        memory.cells = {c: _Cell(int(n), float(w), int(at)) for c, (n, w, at) in raw[1].items()}
        return memory


class _Payee(_Memory):
    """A payee's memory, and one memory per amount class of the payee."""

    __slots__ = ("sizes",)

    def __init__(self, seen: int = 0) -> None:
        super().__init__(seen)
        self.sizes: dict[int, _Memory] = {}


class _Tables:
    """The naive Bayes' per-category constants, built after learning, before predicting."""

    def __init__(self, model: Categoriser) -> None:
        rows: dict[str, int] = {}
        signs: dict[bool, dict[str, int]] = {True: {}, False: {}}
        self.magnitudes: dict[int, dict[str, int]] = {}
        for size, counts in model._size_rows.items():
            per_sign = signs[size < 0]
            per_size = self.magnitudes.setdefault(abs(size) - 1, {})
            for c, n in counts.items():
                rows[c] = rows.get(c, 0) + n
                per_sign[c] = per_sign.get(c, 0) + n
                per_size[c] = per_size.get(c, 0) + n
        cats = self.cats = tuple(sorted(rows))
        self.rows = [rows[c] for c in cats]
        self.index = {c: i for i, c in enumerate(cats)}
        alpha, vocab = model.smoothing, max(1, len(model._token_counts))
        weight_total = sum(model._payee_weight.values())
        self.base = [  # log prior, plus the smoothing term every known token adds
            math.log((model._payee_weight.get(c, 0) + 1) / (weight_total + len(cats))) for c in cats
        ]
        self.token_base = [
            model.temper
            * (math.log(alpha) - math.log(model._token_totals.get(c, 0) + alpha * vocab))
            for c in cats
        ]
        self.sign = {neg: self._loglik(counts, 2) for neg, counts in signs.items()}
        self.account = {
            a: self._loglik(n, len(model._accounts)) for a, n in model._accounts.items()
        }
        self._model = model
        self._tokens: dict[str, list[float]] = {}
        self._sizes: dict[int, list[float]] = {}

    def _loglik(self, counts: Mapping[str, int], values: int) -> list[float]:
        """log P(value | category), add-one smoothed over `values` possible values."""
        return [
            math.log((counts.get(c, 0) + 1) / (r + values))
            for c, r in zip(self.cats, self.rows, strict=True)
        ]

    def token(self, tok: str) -> list[float]:
        """What a known token adds to each category's score beyond `token_base`."""
        found = self._tokens.get(tok)
        if found is None:
            model = self._model
            found = [0.0] * len(self.cats)
            log_alpha = math.log(model.smoothing)
            for c, n in model._token_counts[tok].items():
                found[self.index[c]] = model.temper * (math.log(n + model.smoothing) - log_alpha)
            self._tokens[tok] = found
        return found

    def size_likelihood(self, magnitude: int) -> list[float]:
        """P(size class | category), blurred over the neighbouring classes."""
        found = self._sizes.get(magnitude)
        if found is None:
            here, below, above = (self.magnitudes.get(magnitude + d, {}) for d in (0, -1, 1))
            found = [
                ((2 * here.get(c, 0) + below.get(c, 0) + above.get(c, 0)) / 4 + 0.5)
                / (r + 0.5 * len(_EDGES))
                for c, r in zip(self.cats, self.rows, strict=True)
            ]
            self._sizes[magnitude] = found
        return found


class Categoriser:
    """Suggests a category for a transaction from the household's categorised history.

    threshold: below this confidence `predict` returns None.
    decay: weight an older row of a payee keeps for each later row of the same payee.
    payee_strength, size_strength: how many rows of evidence the prior counts as against
        the payee's memory (step 2), and against the payee-at-this-size memory (step 4).
    temper: scales the naive Bayes word evidence; correlated features (a word and its
        trigrams) would otherwise make it overconfident.
    smoothing: additive smoothing of the word counts.
    amount_weight: exponent on the size likelihood of step 3 (0 turns it off).
    """

    def __init__(
        self,
        *,
        threshold: float = 0.5,
        decay: float = 0.8,
        payee_strength: float = 1.0,
        size_strength: float = 4.0,
        temper: float = 0.25,
        smoothing: float = 0.1,
        amount_weight: float = 1.0,
    ) -> None:
        if not 0.0 <= threshold <= 1.0 or not 0.0 < decay <= 1.0:
            raise ValueError("threshold must be in [0, 1] and decay in (0, 1]")
        if min(payee_strength, size_strength, temper, smoothing) <= 0.0 or amount_weight < 0:
            raise ValueError("strengths, temper and smoothing must be positive")
        self.threshold, self.decay, self.temper, self.smoothing = (
            threshold, decay, temper, smoothing,
        )  # fmt: skip
        self.payee_strength, self.size_strength = payee_strength, size_strength
        self.amount_weight = amount_weight
        self._payees: dict[str, _Payee] = {}
        self._size_rows: dict[int, dict[str, int]] = {}  # amount class -> category -> rows
        self._accounts: dict[str, dict[str, int]] = {}  # account -> category -> rows
        # Naive Bayes counts, derived from the payee memories.
        self._token_counts: dict[str, dict[str, int]] = {}
        self._token_totals: dict[str, int] = {}
        self._payee_weight: dict[str, int] = {}
        self._tables: _Tables | None = None
        self._norm_cache: dict[str, str] = {}
        self._cache: dict[
            tuple[str, int, str | None], Suggestion | None
        ] = {}  # best, any confidence
        self._base_cache: dict[tuple[str, bool, str | None], list[float]] = {}

    # -- learning ----------------------------------------------------------------------
    @classmethod
    def train(cls, examples: Iterable[Example], **params: float) -> Categoriser:
        model = cls(**params)
        model.learn_many(examples)
        return model

    def learn(self, example: Example) -> None:
        """Add one categorised transaction, newer than everything learnt so far."""
        self.learn_many((example,))

    def learn_many(self, examples: Iterable[Example]) -> None:
        """Add categorised transactions, oldest first."""
        payees, size_rows, accounts = self._payees, self._size_rows, self._accounts
        decay, norm_cache = self.decay, self._norm_cache
        for ex in examples:
            payee = norm_cache.get(ex.payee)
            if payee is None:
                payee = self._normalise(ex.payee)
            category = ex.category
            memory = payees.get(payee)
            if memory is None:
                memory = payees[payee] = _Payee()
            n = memory.observe(category, decay)
            if n & (n - 1) == 0:  # a power of two: the pair's bit length grew by one
                self._add_tokens(payee, category, 1)
            size = amount_class(ex.amount)
            sized = memory.sizes.get(size)
            if sized is None:
                sized = memory.sizes[size] = _Memory()
            sized.observe(category, decay)
            counts = size_rows.get(size)
            if counts is None:
                counts = size_rows[size] = {}
            counts[category] = counts.get(category, 0) + 1
            if ex.account is not None:
                counts = accounts.get(ex.account)
                if counts is None:
                    counts = accounts[ex.account] = {}
                counts[category] = counts.get(category, 0) + 1
        self._tables = None
        self._cache.clear()
        self._base_cache.clear()

    def _add_tokens(self, payee: str, category: str, weight: int) -> None:
        toks = tokens(payee)
        for tok in toks:
            counts = self._token_counts.get(tok)
            if counts is None:
                counts = self._token_counts[tok] = {}
            counts[category] = counts.get(category, 0) + weight
        self._token_totals[category] = self._token_totals.get(category, 0) + weight * len(toks)
        self._payee_weight[category] = self._payee_weight.get(category, 0) + weight

    def _normalise(self, raw: str) -> str:
        found = self._norm_cache.get(raw)
        if found is None:
            if len(self._norm_cache) >= _CACHE_LIMIT:
                self._norm_cache.clear()
            found = self._norm_cache[raw] = normalise_payee(raw)
        return found

    # -- predicting --------------------------------------------------------------------
    @property
    def categories(self) -> tuple[str, ...]:
        return self._get_tables().cats if self._payees else ()

    def predict(self, payee: str, amount: int, account: str | None = None) -> Suggestion | None:
        """The most likely category and its confidence, or None below the threshold."""
        norm = self._norm_cache.get(payee)
        if norm is None:
            norm = self._normalise(payee)
        key = (norm, amount_class(amount), account)
        cache = self._cache
        best = cache.get(key)
        if best is None and key not in cache:
            if self._payees:
                tables = self._get_tables()
                probs = self._probabilities(tables, *key)
                top = max(range(len(probs)), key=probs.__getitem__)  # the first: smallest id
                best = Suggestion(tables.cats[top], min(1.0, probs[top]))
            if len(cache) >= _CACHE_LIMIT:
                cache.clear()
            cache[key] = best
        return best if best is not None and best.confidence >= self.threshold else None

    def ranked(self, payee: str, amount: int, account: str | None = None) -> list[Suggestion]:
        """Every known category with its probability, most likely first."""
        if not self._payees:
            return []
        return self._ranked(self._normalise(payee), amount_class(amount), account)

    def _get_tables(self) -> _Tables:
        if self._tables is None:
            self._tables = _Tables(self)
        return self._tables

    def _ranked(self, payee: str, size: int, account: str | None) -> list[Suggestion]:
        tables = self._get_tables()
        probs = self._probabilities(tables, payee, size, account)
        order = sorted(range(len(probs)), key=lambda i: -probs[i])  # stable: ties by id
        return [Suggestion(tables.cats[i], min(1.0, max(0.0, probs[i]))) for i in order]

    def _probabilities(
        self, tables: _Tables, payee: str, size: int, account: str | None
    ) -> list[float]:
        memory = self._payees.get(payee)
        base_key = (payee, size < 0, account)
        probs = self._base_cache.get(base_key)
        if probs is None:
            probs = _softmax(self._scores(tables, payee, size < 0, account))
            probs = self._smooth(tables, probs, memory, self.payee_strength)
            if len(self._base_cache) >= _CACHE_LIMIT:
                self._base_cache.clear()
            self._base_cache[base_key] = probs
        if self.amount_weight:
            likelihood = tables.size_likelihood(abs(size) - 1)
            if self.amount_weight != 1.0:
                likelihood = [q**self.amount_weight for q in likelihood]
            probs = _normalised([p * q for p, q in zip(probs, likelihood, strict=True)])
        sized = memory.sizes.get(size) if memory is not None else None
        return self._smooth(tables, probs, sized, self.size_strength)

    def _smooth(
        self, tables: _Tables, prior: list[float], memory: _Memory | None, strength: float
    ) -> list[float]:
        """The memory's recency-weighted rows, with `prior` counting as `strength` rows."""
        if memory is None:
            return prior
        weights = memory.weights(self.decay)
        total = math.fsum(weights.values()) + strength
        probs = [strength * p / total for p in prior]
        for c, w in weights.items():
            i = tables.index[c]
            probs[i] = (w + strength * prior[i]) / total
        return probs

    def _scores(
        self, tables: _Tables, payee: str, negative: bool, account: str | None
    ) -> list[float]:
        """Naive Bayes log scores over the payee's known tokens, the sign and the account."""
        known = [t for t in tokens(payee) if t in self._token_counts]
        n = len(known)
        scores = [
            b + n * t + s
            for b, t, s in zip(tables.base, tables.token_base, tables.sign[negative], strict=True)
        ]
        if account is not None and account in tables.account:
            scores = [s + a for s, a in zip(scores, tables.account[account], strict=True)]
        for tok in known:  # each category takes its terms in token order
            scores = [s + v for s, v in zip(scores, tables.token(tok), strict=True)]
        return scores

    # -- explaining --------------------------------------------------------------------
    def explain(self, payee: str, amount: int, account: str | None = None) -> Explanation | None:
        """The best category (even below the threshold) and the evidence behind it:
        how this payee was filed before, and which of its words point to the category
        rather than to the runner-up."""
        ranked = self.ranked(payee, amount, account)
        if not ranked:
            return None
        best = ranked[0]
        norm = self._normalise(payee)
        memory = self._payees.get(norm)
        cells = memory.cells if memory else {}
        history = sorted(((c, cell.n) for c, cell in cells.items()), key=lambda i: (-i[1], i[0]))
        words: list[tuple[str, float]] = []
        if len(ranked) > 1:
            for word in dict.fromkeys(norm.split()):
                feats = (word, *_trigrams(word))
                weight = sum(self._evidence(t, best.category, ranked[1].category) for t in feats)
                if weight > 0:
                    words.append((word, weight))
        words.sort(key=lambda item: (-item[1], item[0]))
        return Explanation(best.category, best.confidence, norm, tuple(history), tuple(words))

    def _evidence(self, token: str, category: str, other: str) -> float:
        """How much `token` favours `category` over `other`: a tempered log-likelihood ratio."""
        counts = self._token_counts.get(token)
        if counts is None:
            return 0.0
        alpha, vocab = self.smoothing, len(self._token_counts)

        def loglik(c: str) -> float:
            total = self._token_totals.get(c, 0) + alpha * vocab
            return math.log((counts.get(c, 0) + alpha) / total)

        return self.temper * (loglik(category) - loglik(other))

    # -- storing -----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-able snapshot; `from_dict` rebuilds a model that predicts identically."""
        return {
            "version": FORMAT_VERSION,
            "params": {
                "threshold": self.threshold,
                "decay": self.decay,
                "payee_strength": self.payee_strength,
                "size_strength": self.size_strength,
                "temper": self.temper,
                "smoothing": self.smoothing,
                "amount_weight": self.amount_weight,
            },
            "payees": {
                payee: [*m.dump(), {str(size): s.dump() for size, s in m.sizes.items()}]
                for payee, m in self._payees.items()
            },
            "accounts": {a: dict(counts) for a, counts in self._accounts.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Categoriser:
        if data.get("version") != FORMAT_VERSION:
            raise ValueError(f"unsupported categoriser format {data.get('version')!r}")
        model = cls(**{k: float(v) for k, v in data["params"].items()})
        for payee, raw in data["payees"].items():
            memory = model._payees[payee] = _Payee(int(raw[0]))
            memory.cells = _Memory.load(raw).cells
            for category, cell in memory.cells.items():
                model._add_tokens(payee, category, cell.n.bit_length())
            for size_text, sized in raw[2].items():
                size = int(size_text)
                memory.sizes[size] = _Memory.load(sized)
                counts = model._size_rows.setdefault(size, {})
                for category, cell in memory.sizes[size].cells.items():
                    counts[category] = counts.get(category, 0) + cell.n
        model._accounts = {
            a: {c: int(n) for c, n in v.items()} for a, v in data["accounts"].items()
        }
        return model


def _softmax(scores: list[float]) -> list[float]:
    top = max(scores)
    return _normalised([math.exp(s - top) for s in scores])


def _normalised(weights: list[float]) -> list[float]:
    total = math.fsum(weights)
    return [w / total for w in weights]
