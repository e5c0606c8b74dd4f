"""Table cells written in Python (the list rows of contacts and opportunities), escaped exactly as
the template engine's `{{ value }}` escapes them."""

import html

from django.db.models import Model
from django.template.base import render_value_in_context
from django.utils.html import conditional_escape


def text(value, context) -> str:
    """`{{ value }}`: a plain string escaped, a record's str() escaped unless it is safe (as
    render_value_in_context does with either, without its localisation checks), anything else
    through render_value_in_context."""
    if type(value) is str:
        return html.escape(value)
    if isinstance(value, Model):
        return conditional_escape(str(value))
    return render_value_in_context(value, context)
