"""The web console's review page: corrections approved, edited or rejected there are what the
export holds; feedback notes are listed; only the server's admins get in."""

from __future__ import annotations

import json
import logging
import re
from html import unescape

import aiohttp
import pytest

from botkit.web.tokens import Grant

ADMIN = Grant("2", "admin", spaces=("500",))
WEB = {"web": {"listen": "127.0.0.1:0"}, "bot": {"owner_ids": ["1"]}}
PAGE = "/s/500/p/feedback/review"


class Web:
    """A signed-in browser-less client of the bot's console."""

    def __init__(self, bot, http: aiohttp.ClientSession) -> None:
        self.bot, self.http, self.base = bot, http, bot.bot.web.base_url
        self.csrf = ""

    async def sign_in(self, grant: Grant = ADMIN) -> None:
        token = (await self.bot.bot.web.link(grant)).rsplit("/", 1)[1]
        await self.post("/login", {"token": token})

    async def get(self, path: str) -> tuple[int, str]:
        async with self.http.get(self.base + path) as response:
            return response.status, self._keep(await response.text())

    async def post(self, path: str, data: dict[str, str]) -> tuple[int, str]:
        async with self.http.post(self.base + path, data={"csrf": self.csrf, **data}) as got:
            return got.status, self._keep(await got.text())

    def _keep(self, text: str) -> str:
        found = re.search(r'name="csrf" value="([^"]+)"', text)
        if found:
            self.csrf = found[1]
        return unescape(re.sub(r"<[^>]+>", " ", text))

    async def download(self, name: str) -> tuple[int, bytes]:
        async with self.http.get(f"{self.base}{PAGE}/file/{name}") as response:
            return response.status, await response.read()


@pytest.fixture
def web_feedback(feedback_bot):
    def start(**settings):
        config = WEB | ({"feedback": settings} if settings else {})
        return feedback_bot(config=config)

    return start


@pytest.fixture
async def http():
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


async def corrected(bot, ask, question: str, text: str) -> None:
    answer = await ask(bot, question)
    await bot.send(f"!correct {answer.id} {text}")


async def test_a_correction_awaiting_review_shows_question_answer_and_correction(
    web_feedback, ask, http
):
    async with web_feedback() as bot:
        await corrected(bot, ask, "What is the capital of Australia?", "Canberra.")
        web = Web(bot, http)
        await web.sign_in()
        status, page = await web.get(PAGE)
    assert status == 200
    assert "pending (1)" in page and "approved (0)" in page
    assert "What is the capital of Australia?" in page
    assert "The capital of Australia is Sydney." in page
    assert "Canberra." in page


async def test_approved_ones_are_exported_and_rejected_ones_are_not(
    web_feedback, ask, http, caplog
):
    async with web_feedback(review_first=True) as bot:
        await corrected(bot, ask, "Capital of Australia?", "Canberra.")
        await corrected(bot, ask, "Capital of Canada?", "Toronto.")
        await corrected(bot, ask, "Capital of Chile?", "Santiago.")
        web = Web(bot, http)
        await web.sign_in()
        await web.get(PAGE)
        caplog.set_level(logging.INFO)
        _, done = await web.post(
            PAGE + "/review", {"id": "1", "decision": "approve", "text": "Canberra."}
        )
        await web.post(PAGE + "/review", {"id": "2", "decision": "reject", "text": "Toronto."})
        status, data = await web.download("sft.jsonl")
        chat = await bot.send("!corrections export sft", user=bot.admin)
    assert "Correction 1 approved." in done
    assert "feedback/review/review in 500 by user 2 (admin, web)" in caplog.text
    assert status == 200
    lines = [json.loads(line) for line in data.decode().splitlines()]
    assert [line["messages"][-1]["content"] for line in lines] == ["Canberra."]
    assert chat.files[0].read_bytes() == data


async def test_an_edit_is_the_exported_wording(web_feedback, ask, http):
    async with web_feedback() as bot:
        await corrected(bot, ask, "Capital of Australia?", "Canbera.")
        web = Web(bot, http)
        await web.sign_in()
        await web.get(PAGE)
        _, done = await web.post(
            PAGE + "/review", {"id": "1", "decision": "save", "text": "Canberra."}
        )
        _, data = await web.download("sft.jsonl")
    assert "Correction 1 saved." in done
    assert json.loads(data)["messages"][-1]["content"] == "Canberra."


async def test_without_review_first_pending_ones_are_exported_but_not_rejected_ones(
    web_feedback, ask, http
):
    async with web_feedback() as bot:
        await corrected(bot, ask, "Capital of Australia?", "Canberra.")
        await corrected(bot, ask, "Capital of Canada?", "Toronto.")
        web = Web(bot, http)
        await web.sign_in()
        await web.get(PAGE)
        await web.post(PAGE + "/review", {"id": "2", "decision": "reject", "text": "Toronto."})
        [(_, records)] = await bot.call_all("botkit_training_examples", guild_id="500")
    assert [r["messages"][-1]["content"] for r in records if r["kind"] == "sft"] == ["Canberra."]


async def test_an_empty_correction_is_refused_with_what_to_do(web_feedback, ask, http, stored):
    async with web_feedback() as bot:
        await corrected(bot, ask, "Capital of Australia?", "Canberra.")
        web = Web(bot, http)
        await web.sign_in()
        await web.get(PAGE)
        status, page = await web.post(PAGE + "/review", {"id": "1", "decision": "approve"})
        rows = await stored(bot, "feedback_corrections")
    assert status == 422
    assert "A correction cannot be empty" in page
    assert rows[0]["review"] is None


async def test_a_correction_of_another_server_cannot_be_reviewed_here(web_feedback, ask, http):
    async with web_feedback() as bot:
        await corrected(bot, ask, "Capital of Australia?", "Canberra.")
        web = Web(bot, http)
        await web.sign_in(Grant("2", "admin", spaces=("501",)))
        await web.get("/s/501/p/feedback/review")
        status, page = await web.post(
            "/s/501/p/feedback/review/review", {"id": "1", "decision": "reject", "text": "x"}
        )
    assert status == 422
    assert "There is no correction 1 here" in page


async def test_a_member_of_no_server_sees_nothing(web_feedback, ask, http):
    async with web_feedback() as bot:
        await corrected(bot, ask, "Capital of Australia?", "Canberra.")
        web = Web(bot, http)
        await web.sign_in(Grant("3", "member", spaces=("999",)))
        status, page = await web.get(PAGE)
    assert status == 403
    assert "Canberra" not in page


async def test_feedback_notes_are_listed(web_feedback, http):
    async with web_feedback() as bot:
        await bot.send("!feedback The answers about packaging are out of date.")
        web = Web(bot, http)
        await web.sign_in()
        _, page = await web.get(PAGE)
    assert "The answers about packaging are out of date." in page


async def test_an_export_with_nothing_approved_says_so(web_feedback, ask, http):
    async with web_feedback(review_first=True) as bot:
        await corrected(bot, ask, "Capital of Australia?", "Canberra.")
        web = Web(bot, http)
        await web.sign_in()
        async with http.get(f"{web.base}{PAGE}/file/sft.jsonl") as response:
            status, text = response.status, await response.text()
    assert status == 422
    assert "No correction here can become a sft example yet." in unescape(text)
