"""The token is in every Bot API URL: no error the adapter reports may carry it."""

from __future__ import annotations

import aiohttp
import pytest
import yarl
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import GetMe
from botkit_telegram.api import Redactor, translate

from botkit_testkit.telegram import TOKEN


def test_an_http_error_whose_url_holds_the_token_is_reported_without_it():
    url = yarl.URL(f"https://api.telegram.org/file/bot{TOKEN}/voice/1.oga")
    info = aiohttp.RequestInfo(url, "GET", {}, url)  # type: ignore[arg-type]
    error = aiohttp.ClientResponseError(info, (), status=404, message="Not Found")
    assert TOKEN in str(error)
    reported = translate(error, Redactor(TOKEN))
    assert str(reported) == "HTTP 404 Not Found"


@pytest.mark.parametrize("echoed", [TOKEN, TOKEN.replace(":", "%3A")])
def test_a_server_echoing_the_token_is_reported_without_it(echoed):
    error = TelegramBadRequest(GetMe(), f"Bad Request: token {echoed} is odd")
    reported = str(translate(error, Redactor(TOKEN)))
    assert "***" in reported and TOKEN.split(":")[1] not in reported


async def test_a_failed_download_raises_an_error_without_the_token(telegram_harness):
    async with telegram_harness() as tg:
        with pytest.raises(Exception) as failure:
            await tg.adapter.call.download("documents/missing.bin")
    assert "404" in str(failure.value)
    assert TOKEN not in str(failure.value) and failure.value.__cause__ is None
