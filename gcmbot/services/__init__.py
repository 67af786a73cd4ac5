"""Services: the bot's logic. They know nothing of Telegram and call only `gcmbot.store`."""
