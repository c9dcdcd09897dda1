"""A debate forum for articles, as a Flask extension."""

from forum.errors import ForumError
from forum.extension import Forum

__all__ = ["Forum", "ForumError"]
