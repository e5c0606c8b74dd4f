from django import forms


class AutocompleteSelect(forms.Select):
    """A <select> that renders only the chosen option, plus a search box that fetches matching
    options from `url` with htmx: usable over 100,000 records. The form field keeps validating
    against its full (access-scoped) queryset."""

    template_name = "includes/widgets/autocomplete_select.html"

    def __init__(self, url: str, attrs=None):
        super().__init__(attrs)
        self.url = url

    def optgroups(self, name, value, attrs=None):
        chosen = {str(v) for v in value if v not in (None, "")}
        groups = []
        for index, (option_value, option_label) in enumerate(self.choices):
            if option_value == "" or str(getattr(option_value, "value", option_value)) in chosen:
                selected = option_value != ""
                groups.append(
                    (None, [self.create_option(name, option_value, option_label, selected, index)], index)
                )
        return groups

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["autocomplete_url"] = self.url
        return context
