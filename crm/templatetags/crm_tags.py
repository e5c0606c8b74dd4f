from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with `changes` applied, e.g. for pagination links."""
    query = context["request"].GET.copy()
    for name, value in changes.items():
        query[name] = value
    return query.urlencode()
