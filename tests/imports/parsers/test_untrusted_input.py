"""Property: whatever bytes arrive, a parser answers with transactions or ParseFailed,
never another exception (which the web layer would turn into a 500)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coffer.imports.parsers import ParseFailed, detect_format, parse, preset, sniff
from tests.imports.parsers.helpers import fixture, stream

SAMPLES = {
    "ofx": [fixture("bank_v1.ofx"), fixture("creditcard_v2.ofx"), fixture("quicken.qfx")],
    "qif": [fixture("bank_split.qif")],
    "camt053": [fixture("statement.camt053.001.08.xml")],
    "csv": [fixture("ynab_register.csv"), fixture("german_bank.csv")],
}


@st.composite
def damaged(draw: st.DrawFn) -> tuple[str, bytes]:
    """A real file of each format with bytes cut, replaced or inserted."""
    fmt = draw(st.sampled_from(sorted(SAMPLES)))
    data = bytearray(draw(st.sampled_from(SAMPLES[fmt])))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["cut", "replace", "insert", "truncate"]))
        junk = draw(st.binary(min_size=1, max_size=8) | st.sampled_from([b"<", b"&", b"\n", b";"]))
        if action == "truncate":
            del data[at:]
        elif action == "cut":
            del data[at : at + len(junk)]
        elif action == "replace":
            data[at : at + len(junk)] = junk
        else:
            data[at:at] = junk
    return fmt, bytes(data)


def read_all(fmt: str, data: bytes) -> None:
    try:
        mapping = (sniff(data).suggested or preset("ynab")) if fmt == "csv" else None
        transactions, _ = parse(stream(data), fmt=fmt, mapping=mapping)
        list(transactions)
    except ParseFailed as failed:
        problems = failed.problems
    else:
        return
    assert problems
    assert all(problem.message for problem in problems)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged())
def test_damaged_files_are_refused_cleanly(case: tuple[str, bytes]) -> None:
    read_all(*case)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300), st.sampled_from(["csv", "ofx", "qif", "camt053"]))
def test_random_bytes_are_refused_cleanly(data: bytes, fmt: str) -> None:
    read_all(fmt, data)
    try:
        detect_format("upload.bin", data)
        sniff(data)
    except ParseFailed:
        pass
