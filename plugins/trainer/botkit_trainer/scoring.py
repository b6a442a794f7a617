"""``!test`` cases: reading them from JSON, and scoring an answer against the expected one."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

import attrs

from botkit_trainer.text import TooBig, bounded_json, clean

MAX_DEPTH = 20
MAX_CHARS = 100_000
EXAMPLE = '[{"input": "What is 2+2?", "expected": "4"}]'


class BadCases(ValueError):
    """The test cases are not a usable JSON list; the message says why."""


@attrs.frozen
class Case:
    input: str
    expected: str


def parse_cases(
    raw: str, max_cases: int, *, max_depth: int = MAX_DEPTH, max_chars: int = MAX_CHARS
) -> list[Case]:
    """A JSON list of ``{"input": ..., "expected": ...}`` (a Markdown code fence is allowed),
    at most ``max_chars`` long and ``max_depth`` deep."""
    raw = clean(raw.strip())
    fence = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", raw, re.DOTALL)
    if fence:
        raw = fence.group(1)
    try:
        value = bounded_json(raw, max_chars=max_chars, max_depth=max_depth)
    except TooBig as exc:
        raise BadCases(str(exc)) from None
    except ValueError as exc:
        raise BadCases(f"That is not valid JSON ({clean(exc.args[0])}).") from None
    if not isinstance(value, list) or not value:
        raise BadCases("Give a JSON list of test cases.")
    if len(value) > max_cases:
        raise BadCases(f"That is {len(value)} cases; one !test runs at most {max_cases}.")
    cases = []
    for number, item in enumerate(value, 1):
        if not isinstance(item, dict) or not all(
            isinstance(item.get(key), str) and item[key].strip() for key in ("input", "expected")
        ):
            raise BadCases(f"Case {number} needs a non-empty text input and expected.")
        cases.append(Case(item["input"].strip(), item["expected"].strip()))
    return cases


def tokens(text: str) -> list[str]:
    """Lower-case words without accents or punctuation."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return re.findall(r"\w+", folded)


def score(answer: str, expected: str) -> float:
    """1.0 when the answer holds the expected words in order (case, accents and punctuation
    ignored), else the F1 overlap of the two bags of words.

    F1 = 2·P·R / (P + R), where P is the share of the answer's words found in the expected
    answer and R the share of the expected words found in the answer.
    """
    got, want = tokens(answer), tokens(expected)
    if want and any(got[i : i + len(want)] == want for i in range(len(got) - len(want) + 1)):
        return 1.0
    common = sum((Counter(got) & Counter(want)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(got), common / len(want)
    return 2 * precision * recall / (precision + recall)
