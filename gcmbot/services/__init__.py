"""Services: the bot's logic. They know nothing of Telegram, call only `gcmbot.store`, and
return data: the words people read are gcmbot.render's (a service that queues messages is
given its renderer by gcmbot.app). tests/test_imports.py checks what they import."""
