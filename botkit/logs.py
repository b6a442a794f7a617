"""Logging set-up that keeps secrets out of every line, tracebacks included."""

from __future__ import annotations

import bisect
import functools
import logging
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import attrs

SECRET_NAME = re.compile(r"(TOKEN|KEY|SECRET|PASSWORD|PASSWD|CREDENTIALS?)$")
FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def secrets_from_env(config: Any = None) -> list[str]:
    """Values of environment variables whose names say they are secrets, and of every
    variable a configuration key ending in ``_env`` names (``api_key_env = "LLM_KEY"``)."""
    names = {k for k in os.environ if SECRET_NAME.search(k.upper())}
    if config is not None:
        names |= set(_named_variables(config.raw))
    values = (os.environ.get(name, "") for name in names)
    return [v for v in values if len(v) >= 6]


def remember_key_variables(config: Any = None, settings: Iterable[Any] = ()) -> None:
    """Mask from now on the values of the variables named by every ``*_env`` key of the
    configuration file and every ``*_env`` field of the plugins' settings (their defaults
    included), and of every variable whose name says it is a secret."""
    for value in secrets_from_env(config):
        remember_secret(value)
    for item in settings:
        if not attrs.has(type(item)):
            continue
        for field in attrs.fields(type(item)):
            name = getattr(item, field.name)
            if field.name.endswith("_env") and isinstance(name, str) and name:
                remember_secret(os.environ.get(name, ""))


def _named_variables(table: Any) -> list[str]:
    found = []
    if isinstance(table, dict):
        for key, value in table.items():
            if isinstance(value, str) and str(key).endswith("_env"):
                found.append(value)
            else:
                found += _named_variables(value)
    return found


# What looks like a credential: a bearer header, OpenAI-style (sk-) and Fireworks (fw_) keys,
# Telegram and Discord bot tokens, ``name-with-key = value`` and long hex keys (Together).
# The search runs on ``_normal(text)``: lower case, "-" as "D" (so that "[\w-] but not s" is
# one character class), same length and same word/space/digit classes as ``text`` (checked
# for every code point by the tests). It masks exactly what the plain alternation
#   (?i)bearer\s+\S{8,} | \bsk-[\w-]{8,} | \bfw_\w{16,} | (?<!\d)\d{6,12}:[\w-]{30,}
#   | \b[\w-]{24,}\.[\w-]{6,}\.[\w-]{20,} | \b[\w-]*(?:key|token|secret|password)[\w-]*\s*[=:]
#     \s*["']?[^\s"',]{6,} | \b[a-f0-9]{40,}\b
# masked with re.sub, in time linear in the text: that alternation retried the last three
# patterns at every word boundary of a long run of word characters (seconds for 10 KB).
# The last two patterns can only match where a run of word characters and "-" starts (or
# right after an fw_ key starting one): once they fail there they fail everywhere in the
# run, so they are tried there only. One search skips whole runs and words that start
# nothing, and stops only where a credential starts.
_WORD = r"[^\WD]"  # a word character of the original text
_KEYWORD = r"(?:key|token|secret|password)"
_DISCORD = r"\w{24,}+\.\w{6,}+\.\w{20,}+"
_NAMED = (  # a name holding a keyword, "=" or ":", a value
    r"(?=\w*+\s*+[=:])"
    r"(?=(?:[^\Wktsp]++|k(?!ey)|t(?!oken)|s(?!ecret)|p(?!assword))*+" + _KEYWORD + ")"
    r"\w*+\s*+[=:]\s*+[\"']?[^\s\"',]{6,}+"
)
_AT_RUN = (  # where a run starts: after leading dashes, a Fireworks key, a Discord token, a name
    r"(?<!\w)D*+(?P<run>fw_" + _WORD + r"{16,}+(?P<after>" + _DISCORD + "|" + _NAMED + ")?"
    r"|(?!skD\w{8})(?=" + _WORD + ")(?:" + _DISCORD + "|" + _NAMED + "))"
)
_ANYWHERE = (  # bearer, OpenAI, Fireworks, Telegram, hex
    r"bearer\s++\S{8,}+"
    r"|(?<!" + _WORD + r")skD\w{8,}+"
    r"|(?<!" + _WORD + r")fw_" + _WORD + r"{16,}+"
    r"|(?<!\d)\d{6,12}+:\w{30,}+"
    r"|(?<!" + _WORD + r")[0-9a-f]{40,}+(?!" + _WORD + ")"
)
_STARTS_RUN = (
    r"(?<!\w)D*+(?:fw_"
    + _WORD
    + r"{16}|(?!skD\w{8})(?="
    + _WORD
    + ")(?:"
    + _DISCORD
    + "|"
    + _NAMED
    + "))"
)
_STARTS_WORD = (  # at the first letter of a word: these can start only here
    r"bearer\s++\S{8}|skD\w{8}|fw_" + _WORD + r"{16}|\d{6,12}+:\w{30}"
    r"|[0-9a-f]{40,}+(?!" + _WORD + ")"
)
_REST = r"[^\W\dbD]*+"  # the rest of a word up to a b (bearer) or a digit (Telegram)
_WORD_START = r"(?:[^\W\dsa-fD]|(?!" + _STARTS_WORD + ")" + _WORD + ")" + _REST
_SKIP = (
    r"\W++",
    r"(?<!\w)[^\W\dsa-fD]" + _REST + r"\s++(?![=:])",  # a plain word and spaces
    r"(?<=\w)D++(?:" + _WORD_START + ")?",
    r"(?<!\w)(?!" + _STARTS_RUN + r")(?:D++(?:" + _WORD_START + ")?|" + _WORD_START + ")",
    r"(?<=" + _WORD + r")(?!bearer\s++\S{8})b" + _REST,
    r"(?<=" + _WORD + r")(?!(?<!\d)\d{6,12}+:\w{30})\d++" + _REST,
)
_SEARCH = "(?:" + "|".join(_SKIP) + ")*+(?:" + _AT_RUN + "|(?P<other>" + _ANYWHERE + r")|\Z)"
_ODD_SPACES = re.compile("[\x1c-\x1f]")


@functools.cache
def _search(ascii_only: bool) -> re.Pattern[str]:
    """The compiled search, made on first use (compiling it costs every start-up 5 ms). For
    ASCII text it is several times faster: its classes are tables. Unicode counts \x1c-\x1f
    as spaces and ASCII does not, so _normal makes them spaces."""
    return re.compile(_SEARCH, re.ASCII if ascii_only else 0)


_known: set[str] = set()


def _normal(text: str) -> str:
    """``text`` as :func:`_search` reads it (see there)."""
    return text.replace("\u0130", "z").lower().replace("\u017f", "s").replace("-", "D")


def _credentials(text: str) -> Iterator[tuple[int, int, str]]:
    """Start, end and mask of every credential in ``text``, in order."""
    normal = _normal(text)
    ascii_only = normal.isascii()
    if ascii_only and _ODD_SPACES.search(normal):
        normal = _ODD_SPACES.sub(" ", normal)
    for match in _search(ascii_only).finditer(normal):
        if match["run"] is not None:
            mask = "******" if match["after"] is not None else "***"
            yield match.start("run"), match.end(), mask
        elif match["other"] is not None:
            yield match.start("other"), match.end(), "***"


def remember_secret(value: str) -> None:
    """Mask ``value`` wherever :func:`redact` or a log line meets it from now on."""
    if len(value) >= 6:
        _known.add(value)


def _longest_first(secret: str) -> tuple[int, str]:
    return -len(secret), secret


def _without_known(text: str, secrets: Iterable[str] = ()) -> str:
    for secret in sorted(_known.union(secrets), key=_longest_first):
        text = text.replace(secret, "***")
    return text


def _mask(text: str) -> str:
    parts = []
    last = 0
    for start, end, mask in _credentials(text):
        parts += (text[last:start], mask)
        last = end
    parts.append(text[last:])
    return "".join(parts)


def redact(text: str, limit: int | None = None) -> str:
    """``text`` with every known secret and anything that looks like a credential (API keys,
    bot tokens, bearer headers) replaced by ``***``: for error text from remote services.

    With ``limit``, at most ``limit`` characters: the start of the text, ending in "…" where
    it was cut, and only that start is searched (plus what a credential crossing the cut
    needs), so a long text costs no more than a short one. A secret or credential crossing
    the cut shows as ``***``, never in part."""
    if limit is None or len(text) <= limit:
        return _mask(_without_known(text))
    cut = max(limit - 1, 0)
    return _masked_head(text, cut)[:cut] + "…"


# A credential is at most three runs of non-spaces with spaces between ("key = value");
# whatever decides one that starts before the cut lies within this much after it.
_DECIDES = re.compile(r"\S*+\s*+\S*+\s*+\S*+\s?")


def _masked_head(text: str, cut: int) -> str:
    """``text[:cut]`` masked as in the whole text; what crosses the cut is ``***``."""
    longest = max(map(len, _known), default=0)
    window = text[: max(_DECIDES.match(text, cut).end(), cut + longest)]
    spans = _known_spans(window)
    plain, place = _replaced(window, spans)
    for start, end, _ in _credentials(plain):
        first, last = place(start)[0], place(end - 1)[1]
        spans = [s for s in spans if s[1] <= first or s[0] >= last]
        spans.append((first, last))
    parts = []
    shown = 0
    for start, end in sorted(spans):
        if start >= cut:
            break
        parts += (text[shown:start], "***")
        shown = end
    if shown < cut:
        parts.append(text[shown:cut])
    return "".join(parts)


def _known_spans(text: str) -> list[tuple[int, int]]:
    """Where the known secrets are in ``text``, longest first, none overlapping."""
    spans: list[tuple[int, int]] = []
    for secret in sorted(_known, key=_longest_first):
        at = text.find(secret)
        while at >= 0:
            end = at + len(secret)
            if all(end <= s or at >= e for s, e in spans):
                spans.append((at, end))
                at = text.find(secret, end)
            else:
                at = text.find(secret, at + 1)
    return spans


def _replaced(
    text: str, spans: list[tuple[int, int]]
) -> tuple[str, Callable[[int], tuple[int, int]]]:
    """``text`` with each span as ``***``, and where in ``text`` a character of it was."""
    parts = []
    stars: list[tuple[int, int, int]] = []  # where each *** is, and the span it replaced
    shown = 0
    for start, end in sorted(spans):
        parts += (text[shown:start], "***")
        stars.append((start - shown + (stars[-1][0] + 3 if stars else 0), start, end))
        shown = end
    parts.append(text[shown:])

    def place(at: int) -> tuple[int, int]:
        i = bisect.bisect_right(stars, (at, len(text) + 1)) - 1
        if i < 0:
            return at, at + 1
        star, start, end = stars[i]
        if at < star + 3:
            return start, end
        return end + at - star - 3, end + at - star - 2

    return "".join(parts), place


# Inside a URL: the password of its user, and the values of query parameters named like keys.
_URL = re.compile(r"://[^\s/?#@]*+[^\s\"'<>]*+")
_PASSWORD = re.compile(r"(?P<user>://[^\s/?#@:]*+:)(?P<password>[^\s/?#]+)@")
_PARAMETER = re.compile(r"(?P<name>[?&;][^=&;#\s]*+)=(?P<value>[^&;#\s]*+)")
_KEY_NAME = re.compile(
    r"(?i)key|token|secret|passw(?:or)?d|signature|credential|^[?&;](?:sig|pwd|pass|auth)$"
)


def mask_credentials(text: str) -> str:
    """``text`` with what :func:`redact` masks, the password of a URL's user
    (``scheme://user:***@host``) and the value of every query parameter whose name looks
    like a key, token, secret, password or signature (``?api-key=***``) as ``***``: for
    settings and log lines."""
    return _mask_urls(_without_known(text))


def _mask_urls(text: str) -> str:
    parts = []
    shown = 0
    for url in _URL.finditer(text):
        parts += (_mask(text[shown : url.start()]), _masked_url(url.group()))
        shown = url.end()
    parts.append(_mask(text[shown:]))
    return "".join(parts)


def _masked_url(url: str) -> str:
    url = _PASSWORD.sub(r"\g<user>***@", url, count=1)
    parts = []
    shown = 0
    for parameter in _PARAMETER.finditer(url):
        name, value = parameter["name"], parameter["value"]
        parts.append(_mask(url[shown : parameter.start()]) + name + "=")
        parts.append("***" if value and _KEY_NAME.search(name) else _mask(value))
        shown = parameter.end()
    parts.append(_mask(url[shown:]))
    return "".join(parts)


# Lines of other libraries that say nothing a bot's owner can act on.
_DROPPED = ("Guilds intent seems to be disabled",)


class RedactingFormatter(logging.Formatter):
    """Masks in the formatted line, traceback included, every known secret (those given,
    and those remembered by :func:`remember_secret` before or after the formatter was made)
    and whatever :func:`mask_credentials` masks."""

    def __init__(self, secrets: Iterable[str] = (), fmt: str = FORMAT) -> None:
        super().__init__(fmt)
        self.secrets = {s for s in secrets if len(s) >= 6}

    def format(self, record: logging.LogRecord) -> str:
        try:
            text = super().format(record)
        except Exception:  # a bad format string: logging would print the raw arguments
            text = f"{record.levelname} {record.name}: unformattable log message {record.msg!r}"
        return _mask_urls(_without_known(text, self.secrets))


class OwnLevel(logging.Filter):
    """Passes botkit's records at the configured level and other libraries' from WARNING
    (all of them at DEBUG), except the few other libraries' lines in ``_DROPPED``."""

    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        ours = record.name == "botkit" or record.name.startswith("botkit.")
        if ours:
            return True
        if record.levelno < logging.WARNING and self.level > logging.DEBUG:
            return False
        return not (isinstance(record.msg, str) and record.msg.startswith(_DROPPED))


def setup_logging(level: str = "INFO", config: Any = None) -> None:
    """Log to stderr, secrets and credentials masked: botkit at ``level``, other libraries
    (discord.py, aiogram, httpx, alembic...) from WARNING unless ``level`` is DEBUG."""
    handler = logging.StreamHandler(sys.stderr)
    for secret in secrets_from_env(config):
        remember_secret(secret)
    handler.setFormatter(RedactingFormatter(sorted(_known)))
    handler.addFilter(OwnLevel(logging.getLevelName(level.upper())))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
