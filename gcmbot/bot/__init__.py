"""The Telegram side: thin handlers that parse updates, call services and render replies."""
