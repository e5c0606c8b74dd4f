from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with `changes` applied, e.g. for pagination links."""
    query = context["request"].GET.copy()
    for name, value in changes.items():
        query[name] = value
    return query.urlencode()


@register.filter
def field_value(record, field_name: str):
    """A model field's value for display (related managers as a comma-separated list)."""
    value = getattr(record, field_name, None)
    if hasattr(value, "all"):
        return ", ".join(str(item) for item in value.all())
    return value


@register.filter
def phone(value: str) -> str:
    from crm.phones import display_phone

    return display_phone(value)


@register.filter
def dict_get(mapping, key):
    return (mapping or {}).get(key)
