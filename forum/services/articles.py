"""The names the page views import from here, now kept in the modules that say what they are for.

Storing an import is `article_storage`; look-ups by id `lookup`; the home page's list `article_list`; the article
page `article_page`; the thread page `thread_page`; citation slots as readers see them `citation_slots`.
"""

from __future__ import annotations

from forum.services.article_list import list_articles
from forum.services.article_page import ArticleView, article_view
from forum.services.article_storage import DuplicateArticle
from forum.services.citation_slots import SlotView
from forum.services.lookup import check_readable, get_article, get_thread
from forum.services.thread_page import ThreadView, thread_view

__all__ = [
    "ArticleView",
    "DuplicateArticle",
    "SlotView",
    "ThreadView",
    "article_view",
    "check_readable",
    "get_article",
    "get_thread",
    "list_articles",
    "thread_view",
]
