"""Storage: the only package that talks to the database.

Modules are split per area (subscribers, content, feeds, outbox). Services call
these functions with a `Database`; nothing outside `gcmbot.store` writes queries.
"""

from gcmbot.store.db import Database

__all__ = ["Database"]
