"""Fragments of a page sent alone (htmx swaps them in), rendered with what they show and no more.

`render_template` runs every context processor of the app, Flask-Login's among them: it puts `current_user` in
every template, and so loads the signed-in account from the database for every render, whether the template
shows it or not. A fragment shows no account (the forum's viewer is in its context), so it is rendered with
the app's and the forum's context processors but that one.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask.signals import before_render_template, template_rendered

from forum.flask_internals import puts_current_user


def fragment_context(context: dict[str, Any]) -> dict[str, Any]:
    """The template context Flask would give, less Flask-Login's `current_user`, updated with `context`."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    found: dict[str, Any] = {}
    for name in (None, *reversed(request.blueprints)):
        for processor in app.template_context_processors.get(name, ()):
            if not puts_current_user(processor):
                found.update(app.ensure_sync(processor)())
    found.update(context)
    return found


def render_fragment(name: str, **context: Any) -> str:
    """Render the template `name` as `render_template` would, without loading the signed-in account."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    template = app.jinja_env.get_or_select_template(name)
    full = fragment_context(context)
    before_render_template.send(app, _async_wrapper=app.ensure_sync, template=template, context=full)
    rendered: str = template.render(full)
    template_rendered.send(app, _async_wrapper=app.ensure_sync, template=template, context=full)
    return rendered
