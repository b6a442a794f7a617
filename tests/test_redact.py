"""Credentials and known secrets are masked in error text, settings and log lines, in time
linear in the text, and never shown in part where a long text is cut."""

from __future__ import annotations

import logging
import re
import time

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from botkit import logs
from botkit.logs import mask_credentials, redact, remember_secret, setup_logging

# The alternation botkit.redact used to apply with re.sub: what it masks is what must be masked.
OLD = re.compile(
    r"(?i)bearer\s+\S{8,}"
    r"|\bsk-[\w-]{8,}"
    r"|\bfw_\w{16,}"
    r"|(?<!\d)\d{6,12}:[\w-]{30,}"
    r"|\b[\w-]{24,}\.[\w-]{6,}\.[\w-]{20,}"
    r"|\b[\w-]*(?:key|token|secret|password)[\w-]*\s*[=:]\s*[\"']?[^\s\"',]{6,}"
    r"|\b[a-f0-9]{40,}\b"
)
FRAGMENTS = [
    "key", "KEY", "Token", "secret", "password", "=", ":", "-", "--", "_", ".", ",", " ",
    "\t", '"', "'", "a", "Z", "xxxxxxxxx", "1234567", "sk-", "SK-", "fw_", "bearer",
    "Bearer ", "deadbeef" * 3, "0f" * 20, "a" * 24, "fw_" + "a" * 16, "sk-" + "b" * 8,
    "123456:", "é", "\u212a", "\u017f", "\u0130", "٣", "\u00a0", "*", "b",
]  # fmt: skip
SECRET_LETTERS = "QWXVJ"  # in no fragment
SECRET = st.text(SECRET_LETTERS, min_size=6, max_size=12)


@pytest.fixture(autouse=True)
def no_known_secrets(monkeypatch) -> None:
    monkeypatch.setattr(logs, "_known", set())


def pieces(max_size: int = 30) -> st.SearchStrategy[str]:
    return st.lists(
        st.one_of(
            st.sampled_from(FRAGMENTS),
            st.text(st.characters(blacklist_characters=SECRET_LETTERS), max_size=4),
        ),
        max_size=max_size,
    ).map("".join)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Incorrect API key provided: sk-proj-abcdefgh12.", "Incorrect API key provided: ***."),
        ("Authorization: Bearer abc.def.ghi-jkl", "Authorization: ***"),
        ("POST /bot123456789:AAHk2x_abcdefghijklmnopqrstuvwxyz0/getMe", "POST /bot***/getMe"),
        ("token MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz", "token ***"),
        ("api_key: 'abcdef123'", "***'"),
        ("fw_0123456789abcdef0123 rejected", "*** rejected"),
        ("id " + "0a" * 20 + " unknown", "id *** unknown"),
        ("fw_0123456789abcdefgh-token=abcdefgh", "******"),
        ("--password: hunter22 given", "--*** given"),
        ("the monkey ate a key", "the monkey ate a key"),
    ],
)
def test_a_credential_is_masked(text, shown) -> None:
    assert redact(text) == shown


@settings(max_examples=3000, suppress_health_check=list(HealthCheck))
@given(pieces())
@example("fw_aaaaaaaaaaaaaaaa-key=abcdefg")
@example("a-" * 30 + "key: abcdef")
@example("---x-key=value12 " + "abcdef0123" * 4 + "-sk-12345678")
def test_masks_exactly_what_the_old_pattern_masked(text) -> None:
    assert redact(text) == OLD.sub("***", text)


@settings(max_examples=500, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(pieces(8), SECRET), min_size=1, max_size=8), pieces(8))
def test_every_embedded_secret_is_masked_and_nothing_else_changes(parts, end) -> None:
    logs._known.clear()
    for _, secret in parts:
        remember_secret(secret)
    text = "".join(before + secret for before, secret in parts) + end
    shown = redact(text)
    for _, secret in parts:
        assert secret not in shown
    plain = text
    for secret in sorted({s for _, s in parts}, key=lambda s: (-len(s), s)):
        plain = plain.replace(secret, "***")
    assert shown == OLD.sub("***", plain)


@settings(max_examples=300, suppress_health_check=list(HealthCheck))
@given(pieces(20), st.text(SECRET_LETTERS, min_size=8, max_size=30), pieces(20), st.data())
def test_a_credential_crossing_the_cut_never_shows_in_part(before, value, after, data) -> None:
    key = "sk-" + value
    text = before + " " + key + " " + after
    limit = data.draw(st.integers(1, len(text)))
    shown = redact(text, limit)
    assert len(shown) <= limit
    assert not any(value[i : i + 4] in shown for i in range(len(value) - 3))


@settings(max_examples=300, suppress_health_check=list(HealthCheck))
@given(pieces(20), SECRET, pieces(20), st.data())
def test_a_known_secret_crossing_the_cut_never_shows_in_part(before, secret, after, data):
    logs._known.clear()
    remember_secret(secret)
    text = before + secret + after
    limit = data.draw(st.integers(1, len(text)))
    shown = redact(text, limit)
    assert not any(secret[i : i + 3] in shown for i in range(len(secret) - 2))


@settings(max_examples=300, suppress_health_check=list(HealthCheck))
@given(pieces(40), st.data())
def test_the_start_of_a_cut_text_is_masked_as_in_the_whole_text(text, data) -> None:
    limit = data.draw(st.integers(1, len(text) + 1))
    whole = redact(text)
    shown = redact(text, limit)
    if len(text) <= limit:
        assert shown == whole
    else:
        assert shown.endswith("…")
        head = shown[:-1].rstrip("*")
        assert whole.startswith(head)


def test_a_long_error_text_is_cut_with_an_ellipsis() -> None:
    text = "invalid input: " + "lorem ipsum " * 4000 + "api_key=abcdef123"
    assert redact(text, 40) == "invalid input: lorem ipsum lorem ipsum …"


def test_a_short_text_is_not_cut() -> None:
    assert redact("no such model: gpt-9", 40) == "no such model: gpt-9"


def test_the_40_kb_error_text_quoting_a_long_input_is_masked() -> None:
    quoted = ("key-token_secret" + "x" * 30 + "-") * 2500
    text = f"400 invalid value {quoted!r} for input; your api-key: sk-abcdefghijkl"
    shown = redact(text)
    assert shown.endswith("for input; your ***")
    assert quoted in shown


def best_of(runs: int, text: str) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        redact(text)
        times.append(time.perf_counter() - started)
    return min(times)


@pytest.mark.parametrize(
    "unit",
    ["key-token_secret-", "a-", "key token = : ", "x" * 50 + " ", "key=value1 sk-", "-fw_"],
)
def test_time_grows_linearly_with_hostile_text(unit) -> None:
    """A 64 times longer text takes far less than 64² times as long (the old pattern: the
    square or the cube); loose on purpose, it fails only on superlinear growth."""
    small = (unit * (16_000 // len(unit) + 1))[:16_000]
    large = small * 64
    assert best_of(3, large) < 512 * best_of(7, small)


def test_normal_text_keeps_every_class_and_case_blind_letter() -> None:
    """The search reads a lower-case copy: for every code point it must have the same length,
    the same word, digit and space classes and match the same case-blind letters."""
    everything = "".join(map(chr, range(0xD800))) + "".join(map(chr, range(0xE000, 0x110000)))
    normal = logs._normal(everything)
    assert len(normal) == len(everything)
    dash = {everything.index("-")}
    for pattern in (r"\w", r"\d", r"\s"):
        positions = {m.start() for m in re.finditer(pattern, everything)}
        normal_positions = {m.start() for m in re.finditer(pattern, normal)}
        assert positions ^ normal_positions <= dash
    for letters in ("bearskfwytoncpd", "0123456789", "_.=:\"',"):
        for letter in letters:
            blind = {m.start() for m in re.finditer("(?i)" + re.escape(letter), everything)}
            assert blind == {m.start() for m in re.finditer(re.escape(letter), normal)}


@pytest.mark.parametrize(
    ("setting", "shown"),
    [
        ("https://bob:hunter22@db.example/x", "https://bob:***@db.example/x"),
        ("postgresql://bot:p@ss:w0rd@localhost/bot", "postgresql://bot:***@localhost/bot"),
        ("https://api.example/v1?api-key=abc&model=m", "https://api.example/v1?api-key=***&model=m"),
        ("wss://gw.example/?v=10&token=xyz", "wss://gw.example/?v=10&token=***"),
        ("https://x.example/cb?access_token=t0k&state=1", "https://x.example/cb?access_token=***&state=1"),
        ("https://blob.example/f?sv=2024&sig=AbC%2F", "https://blob.example/f?sv=2024&sig=***"),
        ("https://host.example/path?q=plain", "https://host.example/path?q=plain"),
        ("key = abcdefgh", "***"),
    ],
)  # fmt: skip
def test_a_credential_inside_a_setting_is_masked(setting, shown) -> None:
    assert mask_credentials(setting) == shown


URL_PART = st.text("abcdefghijklmnopqrstuvwxyz01678.-", min_size=1, max_size=12)
VALUE = st.text("QWXYZ2345!$()+~%", min_size=1, max_size=20)


@settings(max_examples=500)
@given(URL_PART, URL_PART, VALUE, st.sampled_from(["http", "https", "redis", "amqp"]))
def test_a_url_never_shows_its_password(user, host, password, scheme) -> None:
    shown = mask_credentials(f"connecting to {scheme}://{user}:{password}@{host}/db now")
    assert password not in shown


@settings(max_examples=500)
@given(
    URL_PART,
    st.sampled_from(["api-key", "apikey", "token", "access_token", "sig", "Signature", "secret"]),
    VALUE,
    st.lists(st.tuples(st.sampled_from(["q", "page", "lang"]), URL_PART), max_size=3),
)
def test_a_url_never_shows_a_key_parameter(host, name, value, others) -> None:
    query = "&".join([f"{k}={v}" for k, v in others] + [f"{name}={value}"])
    shown = mask_credentials(f"GET https://{host}/v1?{query} failed")
    assert value not in shown
    assert f"{name}=***" in shown


def test_every_log_line_masks_credentials_in_urls(capsys) -> None:
    setup_logging("INFO")
    logging.getLogger("botkit.test").warning(
        "cannot reach %s", "redis://bot:hunter22@cache:6379/0?password=hunter23"
    )
    err = capsys.readouterr().err
    assert "cannot reach redis://bot:***@cache:6379/0?password=***\n" in err
