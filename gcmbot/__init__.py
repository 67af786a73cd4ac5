"""gcmbot: a Telegram bot that keeps civil society up to date on the Global Compact for Migration."""

__version__ = "0.1.0"
