"""Importing articles: plain text, Markdown or HTML (a file or a URL) parsed into blocks and citation slots."""

from .common import ArticleTooLarge, ImportRefused, ParsedArticle, ParsedBlock, Reference
from .fetch import fetch_url
from .parse import detect_format, parse_article

__all__ = [
    "ArticleTooLarge",
    "ImportRefused",
    "ParsedArticle",
    "ParsedBlock",
    "Reference",
    "detect_format",
    "fetch_url",
    "parse_article",
]
