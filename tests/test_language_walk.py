"""The vectorised feature walk (core/language_walk.py) finds exactly py3langid's features, in its order, so the
identifier built on it scores every text as py3langid does: on 7,600 real news texts and on hostile ones."""

from __future__ import annotations

import csv

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from py3langid.langid import MODEL_FILE, LanguageIdentifier, visit_counts

from newsalign.core.language_walk import FeatureWalk, vectorised_identifier_class, walk_depth
from tests.helpers import AG_NEWS, require_shared


@pytest.fixture(scope="module")
def wheel() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


@pytest.fixture(scope="module")
def walk(wheel) -> FeatureWalk:
    return FeatureWalk(wheel.tk_nextmove, wheel.tk_row, wheel.tk_output, walk_depth(wheel.tk_nextmove, wheel.tk_row))


def py3langids_counts(wheel, text: bytes) -> list[tuple[int, int]]:
    """py3langid's own walk: its features and counts, in the order it found them."""
    return list((visit_counts(wheel.tk_nextmove, wheel._rowbase, wheel.tk_output, text) or {}).items())


def our_counts(walk: FeatureWalk, text: bytes) -> list[tuple[int, int]]:
    return list(zip(*(values.tolist() for values in walk.counts(text))))


def test_the_walk_of_real_news_texts_is_py3langids(wheel, walk):
    with require_shared(AG_NEWS).open(newline="", encoding="utf-8") as f:
        texts = [" ".join(row[1:]) for row in csv.reader(f)]
    assert len(texts) > 7000
    for text in texts:
        encoded = LanguageIdentifier._encode(text)
        assert our_counts(walk, encoded) == py3langids_counts(wheel, encoded), text


SCRIPTS = [
    "日本銀行は金利を据え置いた",  # Japanese and Korean reach the automaton's deepest states (6 bytes from the start)
    "한국은행이 기준금리를 동결했다",
    "中国人民银行宣布降息",
    "Центральный банк повысил ставку",
    "البنك المركزي رفع أسعار الفائدة",
    "केंद्रीय बैंक ने ब्याज दरें बढ़ाईं",
    "ธนาคารกลางขึ้นดอกเบี้ย",
]


@pytest.mark.parametrize("text", SCRIPTS)
def test_the_walk_of_every_script_is_py3langids(wheel, walk, text):
    encoded = LanguageIdentifier._encode(text)
    assert our_counts(walk, encoded) == py3langids_counts(wheel, encoded)


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.binary(max_size=64), st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_the_walk_of_any_bytes_is_py3langids(wheel, walk, text):
    """Short texts (fewer bytes than the automaton's depth), bytes that are not UTF-8, surrogates, empty."""
    assert our_counts(walk, text) == py3langids_counts(wheel, text)


def test_the_vectorised_identifier_answers_as_py3langids(wheel, walk):
    identifier = vectorised_identifier_class()(
        wheel.nb_ptc, wheel.nb_pc, wheel.nb_classes, wheel.tk_nextmove, wheel.tk_output,
        norm_probs=True, tk_row=wheel.tk_row, depth=walk.depth,
    )  # fmt: skip
    for text in (
        "",
        "x",
        "Die Zentralbank hat die Zinsen erneut angehoben." * 20,
        "??? 12345",
        "日本銀行は金利を据え置いた",
    ):
        assert identifier.classify(text) == wheel.classify(text)
        assert identifier.rank(text) == wheel.rank(text)
