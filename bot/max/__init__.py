"""The MAX adapter: long polling with a stored `marker` (`polling.py`), updates turned into
the core's values and routed to the same services the Telegram handlers call (`updates.py`,
`commands.py`), and the outbox carried out within MAX's 30 requests a second
(`delivery.py`) by a thin aiohttp client checked against the schema (`client.py`)."""
