"""The form renderer: Django's TemplatesSetting, with <select> and <input> written in Python.

Django renders a <select> with one template include per <option> (and another for the option's
attributes). The filter bars above every list hold ~100 options (owners, teams, stages,
lookups), and rendering them through templates cost 20–30 ms of CPU per list request — half of
the page. This renderer produces the very same HTML, byte for byte, from the same widget
context in a fraction of that (tests/crm/test_form_rendering.py compares the two).

FastSelect goes one step further for the filter bars (crm.filters): it writes its options
straight from its choices, without building Django's per-option context dicts first.

Only Django's own select, option and input templates take the fast path: a widget with its own
template (crm/widgets.py's autocomplete), a project template overriding Django's
(templates/django/forms/…), or anything unusual in the context goes through the templates as
before.
"""

from __future__ import annotations

import datetime
import html
from functools import cached_property

from django import forms
from django.forms.renderers import TemplatesSetting, get_default_renderer
from django.template import TemplateDoesNotExist
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, mark_safe
from django.utils.timezone import template_localtime

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"
_INPUT_WIDGETS = "input text search email url number tel password hidden checkbox date datetime time"
INPUT_TEMPLATES = frozenset(f"django/forms/widgets/{name}.html" for name in _INPUT_WIDGETS.split())


def _text(value) -> str:
    """`{{ value }}` with autoescape on (Django's escape() is html.escape())."""
    if type(value) is str:
        return html.escape(value)
    if isinstance(value, datetime.datetime):
        value = template_localtime(value)
    return conditional_escape(str(localize(value)))


def _formatted(value) -> str:
    """`{{ value|stringformat:'s' }}` with autoescape on (the filter keeps safe input safe)."""
    text = "%s" % (str(value) if isinstance(value, tuple) else value)
    return text if isinstance(value, SafeData) else html.escape(text)


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(f" {_text(name)}" if value is True else f' {_text(name)}="{_formatted(value)}"')
    return "".join(parts)


def _option(value, label, selected: bool) -> str:
    """django/forms/widgets/select_option.html of a Select (options inherit no attributes)."""
    selected_attr = " selected" if selected else ""
    return f'\n  <option value="{_formatted(value)}"{selected_attr}>{_text(label)}</option>\n'


def render_select(widget: dict) -> str | None:
    """django/forms/widgets/select.html with select_option.html, or None to use the templates."""
    out = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in group_choices:
            if option.get("template_name") != OPTION:
                return None
            out.append(
                f'\n  <option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>'
                f"{_text(option['label'])}</option>\n"
            )
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return "".join(out)


def render_input(widget: dict) -> str:
    """django/forms/widgets/input.html (the text, date, number… inputs include it unchanged)."""
    value = widget["value"]
    value_attr = "" if value is None else f' value="{_formatted(value)}"'
    attrs = _attrs(widget["attrs"])
    return f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{value_attr}{attrs}>'


class FastSelectRenderer(TemplatesSetting):
    """TemplatesSetting whose select and plain-input widgets skip the template engine."""

    @cached_property
    def uses_django_templates(self) -> bool:
        """Whether Django's own widget templates are in use (the project overrides none)."""
        for name in {SELECT, OPTION, "django/forms/widgets/attrs.html", *INPUT_TEMPLATES}:
            try:
                origin = self.get_template(name).origin.name
            except TemplateDoesNotExist:
                continue
            if "/django/forms/templates/" not in origin.replace("\\", "/"):
                return False
        return True

    def render(self, template_name, context, request=None):
        widget = context.get("widget") if isinstance(context, dict) else None
        if widget is not None and self.uses_django_templates:
            if template_name == SELECT:
                html_text = render_select(widget)
                if html_text is not None:
                    return html_text
            elif template_name in INPUT_TEMPLATES:
                return render_input(widget)
        return super().render(template_name, context, request=request)


class FastSelect(forms.Select):
    """A Select (or select-multiple) that writes its options straight from its choices.

    The HTML is Django's, byte for byte; choices in groups, a subclass with other templates
    or a renderer other than FastSelectRenderer take the usual path.
    """

    def render(self, name, value, attrs=None, renderer=None):
        renderer = renderer or get_default_renderer()
        if not (
            isinstance(renderer, FastSelectRenderer)
            and renderer.uses_django_templates
            and self.template_name == SELECT
            and self.option_template_name == OPTION
            and not self.option_inherits_attrs
            and self.checked_attribute == {"selected": True}
        ):
            return super().render(name, value, attrs, renderer)
        # A comprehension, not list(): list() asks a ModelChoiceIterator for its length first,
        # which costs a COUNT query.
        choices = [choice for choice in self.choices]
        if any(isinstance(label, (list, tuple)) for _value, label in choices):
            return super().render(name, value, attrs, renderer)
        values = self.format_value(value)
        final_attrs = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            final_attrs["multiple"] = True
        out = [f'<select name="{_text(name)}"{_attrs(final_attrs)}>']
        has_selected = False
        for option_value, label in choices:
            if option_value is None:
                option_value = ""
            selected = (not has_selected or self.allow_multiple_selected) and str(option_value) in values
            has_selected |= selected
            out.append(_option(option_value, label, selected))
        out.append("\n</select>")
        return mark_safe("".join(out))  # noqa: S308 - every value above is escaped
