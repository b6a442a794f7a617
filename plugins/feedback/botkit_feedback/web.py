"""The feedback plugin's page of the web console: corrections to review (approve, edit,
reject), the latest feedback notes, and the exports to download."""

from __future__ import annotations

import asyncio
import logging
import time

from botkit import CommandError
from botkit.web import WebFile, WebPage, WebView, e, hidden, table, text_area
from botkit_feedback import store
from botkit_feedback.dataset import BUILDERS, InvalidExample, build_export
from botkit_feedback.records import Correction
from botkit_feedback.settings import FeedbackSettings

log = logging.getLogger("botkit.feedback")

LISTED = 50
EXPORT_TIMEOUT = 60.0
SHOWN = {"pending": None, "approved": store.APPROVED, "rejected": store.REJECTED}
DECISIONS = {"approve": store.APPROVED, "reject": store.REJECTED, "save": None}


def _settings(view: WebView) -> FeedbackSettings:
    return view.plugin.settings_for(view.space) or FeedbackSettings()


async def render(view: WebView) -> str:
    shown = view.field("show", "pending")
    if shown not in SHOWN:
        shown = "pending"
    storage = view.plugin.storage
    counts = await store.review_counts(storage, view.space)
    found = await store.reviewed_corrections(storage, view.space, SHOWN[shown], LISTED)
    tabs = " · ".join(
        f'<a href="{e(view.url())}?show={name}"'
        + (' aria-current="true"' if name == shown else "")
        + f">{name} ({counts.get(state, 0)})</a>"
        for name, state in SHOWN.items()
    )
    items = "".join(_correction(view, c) for c in found) or f"<p>No {shown} corrections.</p>"
    return (
        f"<p>{tabs}</p>{items}" + await _notes(view) + _exports(view, _settings(view).review_first)
    )


def _correction(view: WebView, c: Correction) -> str:
    question = e(c.user_text) if c.user_text else "<em>unknown: not a training example</em>"
    field_id = f"c{c.id}"
    return (
        f'<article aria-labelledby="{field_id}-h"><h2 id="{field_id}-h">Correction {c.id}</h2>'
        f'<p class="hint">by {e(c.author_name)} ({e(c.author_id)}), '
        f"{c.created_at:%Y-%m-%d %H:%M} UTC" + (f", {e(c.review)}" if c.review else "") + "</p>"
        f"<dl><dt>Question</dt><dd>{question}</dd>"
        f"<dt>The bot's answer</dt><dd>{e(c.bot_text) or '<em>empty</em>'}</dd></dl>"
        f'<form method="post" action="{e(view.url("review"))}">'
        + hidden("csrf", view.csrf)
        + hidden("id", c.id)
        + text_area("text", f"Correction {c.id}", c.correction, field_id)
        + '<div class="row">'
        f'<button name="decision" value="approve" aria-label="Approve correction {c.id}">'
        "Approve</button>"
        f'<button name="decision" value="save" class="quiet" '
        f'aria-label="Save the edit of correction {c.id}">Save edit</button>'
        f'<button name="decision" value="reject" class="quiet" '
        f'aria-label="Reject correction {c.id}">Reject</button></div></form></article>'
    )


async def _notes(view: WebView) -> str:
    notes = await store.latest_notes(view.plugin.storage, view.space, 20)
    if not notes:
        return "<h2>Feedback</h2><p>No feedback notes here.</p>"
    rows = [
        [
            f"{n.created_at:%Y-%m-%d}",
            e(n.author_name),
            e(n.text),
            e(n.replied_to_text or ""),
        ]
        for n in notes
    ]
    return "<h2>Feedback</h2>" + table(
        ("day", "from", "feedback", "about"), rows, "The latest feedback notes (never exported)"
    )


def _exports(view: WebView, review_first: bool) -> str:
    which = (
        "approved corrections only"
        if review_first
        else "every correction not rejected (turn on review_first to export approved ones only)"
    )
    links = " · ".join(
        f'<a href="{e(view.url(f"file/{kind}.jsonl"))}" download>{kind.upper()} (JSONL)</a>'
        for kind in BUILDERS
    )
    return f'<h2>Exports</h2><p>{links}</p><p class="hint">Holds {which}.</p>'


async def review(view: WebView) -> str:
    number, decision = view.field("id"), view.field("decision")
    if not number.isdecimal() or len(number) > 12 or decision not in DECISIONS:
        raise CommandError("That form was not complete: reload the page and try again.")
    text = view.field("text").strip()
    if not text:
        raise CommandError("A correction cannot be empty: write what the bot should have said.")
    state = DECISIONS[decision]
    found = await store.set_review(
        view.plugin.storage, view.space, int(number), state, view.user_id, text
    )
    if not found:
        raise CommandError(f"There is no correction {number} here (it may have been forgotten).")
    log.info("correction %s %s by %s", number, state or "edited", view.who)
    return f"Correction {number} {state or 'saved'}."


async def export(view: WebView, name: str) -> WebFile | None:
    kind = name.removesuffix(".jsonl")
    if kind not in BUILDERS or not name.endswith(".jsonl"):
        return None
    settings = _settings(view)
    rows = await store.guild_corrections(view.plugin.storage, view.space, settings.review_first)
    try:
        built = await asyncio.wait_for(
            asyncio.to_thread(build_export, rows, kind, settings.system_prompt), EXPORT_TIMEOUT
        )
    except InvalidExample as exc:
        log.error("%s export of %s failed validation: %s", kind, view.space, exc)
        raise CommandError(f"The export failed validation ({exc}).") from None
    if not built.count:
        raise CommandError(f"No correction here can become a {kind} example yet.")
    day = time.strftime("%Y%m%d", time.gmtime(view.plugin.now()))
    log.info("exported %d %s examples of %s for %s", built.count, kind, view.space, view.who)
    return WebFile(f"corrections-{kind}-{day}.jsonl", built.data, "application/jsonl")


def pages() -> list[WebPage]:
    return [WebPage("review", "Corrections", render, {"review": review}, export)]
