"""Properties of the host's text and path helpers that must hold for every input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from botkit.paths import UnsafePath, inside, safe_filename
from botkit.text import clean_text, split_text

EVERY_CHARACTER = st.characters(codec=None, exclude_categories=())
ANY_TEXT = st.text(EVERY_CHARACTER, max_size=3000)
LINES = st.lists(
    st.one_of(st.text(EVERY_CHARACTER, max_size=300), st.sampled_from(["```", "```py", ""])),
    max_size=40,
).map("\n".join)


@given(text=ANY_TEXT)
def test_clean_text_can_always_be_encoded(text: str) -> None:
    cleaned = clean_text(text)
    cleaned.encode("utf-8")
    assert "\x00" not in cleaned


@given(text=st.text(st.characters(codec="utf-8", exclude_characters="\x00")))
def test_clean_text_keeps_encodable_text_as_it_is(text: str) -> None:
    assert clean_text(text) == text


@given(text=LINES, limit=st.integers(100, 4096))
def test_every_chunk_fits_the_limit(text: str, limit: int) -> None:
    assert all(len(chunk) <= limit for chunk in split_text(text, limit))


@given(
    text=st.text(st.characters(exclude_characters="`"), max_size=3000), limit=st.integers(100, 500)
)
def test_splitting_loses_no_text(text: str, limit: int) -> None:
    joined = "".join(split_text(text, limit))
    assert "".join(joined.split()) == "".join(text.split())


@given(limit=st.integers(-5, 99), text=st.text(max_size=300))
def test_splitting_ends_for_any_limit(limit: int, text: str) -> None:
    assert isinstance(split_text(text, limit), list)


@given(name=st.text(EVERY_CHARACTER, max_size=400))
def test_safe_filename_is_always_writable(
    tmp_path_factory: pytest.TempPathFactory, name: str
) -> None:
    safe = safe_filename(name)
    assert "/" not in safe and safe not in ("", ".", "..")
    assert len(safe.encode("utf-8")) <= 200
    (tmp_path_factory.getbasetemp() / safe).write_bytes(b"")


@given(path=st.text(EVERY_CHARACTER, max_size=400))
def test_inside_never_escapes_and_never_raises_anything_else(
    tmp_path_factory: pytest.TempPathFactory, path: str
) -> None:
    root = tmp_path_factory.getbasetemp() / "sandbox"
    root.mkdir(exist_ok=True)
    try:
        target = inside(root, path)
    except UnsafePath:
        return
    assert target == root.resolve() or target.is_relative_to(root.resolve())
