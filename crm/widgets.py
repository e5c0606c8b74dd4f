from django import forms
from django.core.exceptions import ValidationError


class AutocompleteSelect(forms.Select):
    """A picker over a table that can grow (companies, people, leads, deals): a <select> holding only
    the chosen option, fetched by primary key, plus a search box whose matches come from `url`
    (the visible records only, capped and ranked) with htmx.

    It never iterates its field's queryset: rendering costs one indexed query whatever the table's
    size, and the form field validates a posted id with one `queryset.get(pk=…)`, so only records
    of the (access-scoped) queryset are accepted."""

    template_name = "includes/widgets/autocomplete_select.html"

    def __init__(self, url: str, attrs=None):
        super().__init__(attrs)
        self.url = url

    def use_required_attribute(self, initial):
        # Select's version reads the first choice, which would start iterating the queryset.
        return False

    def chosen_choices(self, values: list[str]) -> list[tuple]:
        """(value, label) of the chosen records, in the order they were chosen."""
        field = getattr(self.choices, "field", None)
        if field is None:  # plain choices, not a model field
            return [(value, label) for value, label in self.choices if str(value) in values]
        if not values:
            return []
        key = field.to_field_name or "pk"
        try:
            records = list(self.choices.queryset.filter(**{f"{key}__in": values}))
        except (ValueError, TypeError, ValidationError):
            return []  # a malformed id was posted: nothing to show, the field reports the error
        by_value = {str(field.prepare_value(record)): record for record in records}
        return [self.choices.choice(by_value[value]) for value in values if value in by_value]

    def optgroups(self, name, value, attrs=None):
        chosen = [str(v) for v in value if v not in (None, "")]
        options = [self.create_option(name, "", self.empty_label, not chosen, 0)]
        for index, (option_value, option_label) in enumerate(self.chosen_choices(chosen), start=1):
            options.append(self.create_option(name, option_value, option_label, True, index))
        return [(None, [option], option["index"]) for option in options]

    @property
    def empty_label(self) -> str:
        field = getattr(self.choices, "field", None)
        label = getattr(field, "empty_label", None)
        return "" if label is None else label

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["autocomplete_url"] = self.url
        if not any(v not in (None, "") for v in context["widget"]["value"]):
            # Nothing chosen: only the search box shows (static/js/autocomplete.js reveals the
            # select with the matches), so an empty drop-down does not read as a second field.
            context["widget"]["attrs"]["hidden"] = True
        return context
