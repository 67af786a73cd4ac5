"""The curated content in `content/`: schema, loading, validation and date handling."""

from gcmbot.content.dates import PartialDate, format_range
from gcmbot.content.loader import Content, ContentError, Problem, load_content

__all__ = ["Content", "ContentError", "PartialDate", "Problem", "format_range", "load_content"]
