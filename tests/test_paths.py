"""Paths from chat stay inside their directory; file names from chat are made harmless."""

from __future__ import annotations

import hashlib

import pytest

from botkit.paths import UnsafePath, inside, safe_filename, sha256_problem


@pytest.mark.parametrize(
    "user_path",
    ["", "a\x00b", "/etc/passwd", "~/notes.txt", "../x", "a/../../x", "a/b/../../../x"],
)
def test_inside_refuses(tmp_path, user_path) -> None:
    with pytest.raises(UnsafePath):
        inside(tmp_path, user_path)


def test_inside_resolves_a_plain_relative_path(tmp_path) -> None:
    assert inside(tmp_path, "docs/a.txt") == tmp_path.resolve() / "docs" / "a.txt"


def test_inside_allows_dot_dot_that_stays_inside(tmp_path) -> None:
    assert inside(tmp_path, "docs/../a.txt") == tmp_path.resolve() / "a.txt"


def test_inside_accepts_the_root_itself(tmp_path) -> None:
    assert inside(tmp_path, ".") == tmp_path.resolve()


def test_inside_refuses_a_sibling_with_a_common_prefix(tmp_path) -> None:
    root = tmp_path / "files"
    root.mkdir()
    with pytest.raises(UnsafePath):
        inside(root, "../files-private/key.pem")


def test_inside_refuses_a_symlink_leading_out(tmp_path) -> None:
    root = tmp_path / "files"
    root.mkdir()
    (root / "out").symlink_to(tmp_path)
    with pytest.raises(UnsafePath):
        inside(root, "out/secret.txt")


def test_inside_follows_a_symlink_that_stays_inside(tmp_path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "real")
    assert inside(tmp_path, "alias/a.txt") == tmp_path.resolve() / "real" / "a.txt"


def test_inside_works_with_a_symlinked_root(tmp_path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "root").symlink_to(tmp_path / "real")
    assert inside(tmp_path / "root", "a.txt") == tmp_path.resolve() / "real" / "a.txt"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.txt", "report.txt"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\evil.exe", "evil.exe"),
        ("...", "file"),
        ("", "file"),
        (".bashrc", "bashrc"),
        ("  spaced name.txt  ", "spaced name.txt"),
        ("a*b?c|d.txt", "a_b_c_d.txt"),
        ("nul\x00byte.txt", "nul_byte.txt"),
        ("данные.csv", "данные.csv"),
    ],
)
def test_safe_filename(name, expected) -> None:
    assert safe_filename(name) == expected


def test_safe_filename_has_a_custom_default() -> None:
    assert safe_filename("/", default="upload") == "upload"


def test_safe_filename_is_at_most_120_characters() -> None:
    assert len(safe_filename("x" * 500 + ".txt")) == 120


def test_sha256_problem_accepts_matching_files(tmp_path) -> None:
    (tmp_path / "a.bin").write_bytes(b"weights")
    digest = hashlib.sha256(b"weights").hexdigest()
    assert sha256_problem(tmp_path, {"a.bin": digest}) is None


def test_sha256_problem_names_a_changed_file(tmp_path) -> None:
    (tmp_path / "a.bin").write_bytes(b"tampered")
    sums = {"a.bin": hashlib.sha256(b"weights").hexdigest()}
    assert sha256_problem(tmp_path, sums) == f"{tmp_path / 'a.bin'} does not match its sha256 sum"


def test_sha256_problem_names_a_missing_file(tmp_path) -> None:
    assert sha256_problem(tmp_path, {"gone.bin": "0" * 64}) == f"{tmp_path / 'gone.bin'} is missing"
