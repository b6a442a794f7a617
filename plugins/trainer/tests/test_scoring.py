"""Scoring answers and reading !test cases."""

from __future__ import annotations

import pytest
from botkit_trainer.scoring import BadCases, parse_cases, score


def test_exact_answer_scores_one() -> None:
    assert score("Paris.", "paris") == 1.0


def test_answer_containing_the_expected_words_scores_one() -> None:
    assert score("The capital of France is Paris!", "Paris") == 1.0


def test_partial_overlap_is_f1() -> None:
    # answer words: nine to five daily (4), expected: nine to five (3): P=3/4, R=1 -> 6/7
    assert score("nine daily to five", "nine to five") == pytest.approx(6 / 7)


def test_no_common_word_scores_zero() -> None:
    assert score("Lyon", "Paris") == 0.0


def test_accents_and_case_are_ignored() -> None:
    assert score("CAFÉ", "cafe") == 1.0


def test_cases_from_a_code_block() -> None:
    cases = parse_cases('```json\n[{"input": "a", "expected": "b"}]\n```', 5)
    assert [(c.input, c.expected) for c in cases] == [("a", "b")]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("[{", "That is not valid JSON"),
        ('{"input": "a"}', "Give a JSON list of test cases."),
        ("[]", "Give a JSON list of test cases."),
        ('[{"input": "a"}]', "Case 1 needs a non-empty text input and expected."),
        ('[{"input": "a", "expected": 4}]', "Case 1 needs a non-empty text input and expected."),
    ],
)
def test_bad_cases(raw: str, message: str) -> None:
    with pytest.raises(BadCases, match=message.replace(".", r"\.")):
        parse_cases(raw, 5)


def test_too_many_cases() -> None:
    raw = str([{"input": "a", "expected": "b"}] * 3).replace("'", '"')
    with pytest.raises(BadCases, match=r"That is 3 cases; one !test runs at most 2\."):
        parse_cases(raw, 2)
