"""The fast form renderer writes exactly what Django's widget templates write."""

import datetime

import pytest
from django import forms
from django.forms.renderers import TemplatesSetting
from django.utils.safestring import mark_safe

from crm.form_rendering import FastSelect, FastSelectRenderer
from crm.models import Team


class Everything(forms.Form):
    plain = forms.ChoiceField(
        choices=[("", "---------"), ("a", "A & B"), ("b", '"quoted" <b>')], required=False
    )
    grouped = forms.ChoiceField(
        choices=[("Nordic", [("se", "Sweden"), ("no", "Norway")]), ("hu", "Hungary"), ("Other", [("x", "X")])]
    )
    many = forms.MultipleChoiceField(choices=[(1, "one"), (2, "two"), (3, "three")], required=False)
    yes_no = forms.NullBooleanField(required=False)
    numbers = forms.TypedChoiceField(choices=[(1, 1000), (2, 2.5)], coerce=int)
    safe_label = forms.ChoiceField(choices=[("s", mark_safe("<em>safe</em>")), ("u", "<em>unsafe</em>")])
    team = forms.ModelChoiceField(queryset=Team.objects.order_by("name"), required=False)
    text = forms.CharField(required=False, widget=forms.TextInput(attrs={"placeholder": 'Say "hi" & go'}))
    number = forms.IntegerField(required=False)
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    email = forms.EmailField(required=False)
    hidden = forms.CharField(required=False, widget=forms.HiddenInput)
    secret = forms.CharField(required=False, widget=forms.PasswordInput)
    tick = forms.BooleanField(required=False)
    flags = forms.CharField(widget=forms.TextInput(attrs={"disabled": True, "readonly": False, "data-x": 0}))


@pytest.mark.parametrize(
    "data",
    [
        None,
        {},
        {
            "plain": "a",
            "grouped": "no",
            "many": ["1", "3"],
            "yes_no": "true",
            "numbers": "2",
            "safe_label": "u",
        },
        {
            "plain": "<script>",
            "grouped": "hu",
            "many": ["9"],
            "yes_no": "false",
            "text": "<x> & 'y'",
            "tick": "on",
        },
        {
            "number": "12",
            "day": "2026-03-01",
            "email": "a@b.example",
            "hidden": "h&h",
            "secret": "pw",
            "flags": "f",
        },
    ],
)
def test_every_widget_renders_byte_for_byte_as_with_the_templates(db, data):
    Team.objects.create(name="North & <South>")
    Team.objects.create(name="Öst")
    initial = {"day": datetime.date(2026, 1, 2), "team": None}
    template_form = Everything(data, initial=initial, renderer=TemplatesSetting())
    fast_form = Everything(data, initial=initial, renderer=FastSelectRenderer())
    if data is not None:
        template_form.is_valid()
        fast_form.is_valid()
    for template_field, fast_field in zip(template_form, fast_form, strict=True):
        assert str(fast_field) == str(template_field), template_field.name


def test_the_project_renderer_is_the_fast_one():
    from django.forms.renderers import get_default_renderer

    assert isinstance(get_default_renderer(), FastSelectRenderer)


def test_widgets_with_their_own_templates_keep_them(db):
    from crm.widgets import AutocompleteSelect

    widget = AutocompleteSelect(url="/pick/")
    widget.choices = [("1", "one"), ("2", "two")]
    html = widget.render("pick", "1", renderer=FastSelectRenderer())
    assert html == widget.render("pick", "1", renderer=TemplatesSetting())


@pytest.mark.parametrize("multiple", [False, True])
@pytest.mark.parametrize("value", [None, "", "b", ["a", "b"], 3, "<x>"])
def test_the_fast_select_writes_what_the_select_templates_write(db, multiple, value):
    Team.objects.create(name="North & <South>")
    choices = [("", "---------"), ("a", "A & B"), ("b", mark_safe("<em>b</em>")), (3, 3000), ("<x>", "x")]
    attrs = {"class": "form-select", "id": "id_pick", "data-x": '"q"', "disabled": False, "autofocus": True}
    widget_class = forms.SelectMultiple if multiple else forms.Select
    expected = widget_class(attrs=attrs, choices=choices).render("pick", value, renderer=TemplatesSetting())
    fast = widget_class(attrs=attrs, choices=choices)
    fast.__class__ = type("Fast", (FastSelect, widget_class), {})
    assert fast.render("pick", value, renderer=FastSelectRenderer()) == expected
    field = forms.ModelChoiceField(queryset=Team.objects.order_by("name"), widget=FastSelect)
    team = Team.objects.get(name="North & <South>")
    assert field.widget.render("team", team.pk, renderer=FastSelectRenderer()) == forms.Select(
        choices=field.choices
    ).render("team", team.pk, renderer=TemplatesSetting())


def test_the_fast_select_leaves_groups_and_other_renderers_to_the_templates():
    grouped = [("Nordic", [("se", "Sweden")]), ("hu", "Hungary")]
    assert FastSelect(choices=grouped).render("c", "se", renderer=FastSelectRenderer()) == forms.Select(
        choices=grouped
    ).render("c", "se", renderer=TemplatesSetting())
    assert FastSelect(choices=[("a", "A")]).render("c", "a", renderer=TemplatesSetting()) == forms.Select(
        choices=[("a", "A")]
    ).render("c", "a", renderer=TemplatesSetting())
