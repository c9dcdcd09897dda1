"""Revised articles: how the paragraphs of one revision are matched to those of the next."""
