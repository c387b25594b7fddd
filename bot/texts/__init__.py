"""Every user-facing string, in Russian, in one package: one module per area of the bot.

Formatters take plain values and return HTML for parse_mode=HTML; user text is escaped here.
"""
