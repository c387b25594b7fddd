"""The Telegram side of the bot: session, polling, outbox delivery."""
