"""Rendering: turn service results into Telegram HTML and keyboards. No I/O, no decisions."""
