from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html_join

from crm import listings, lookup_cache
from crm.money import format_amount, format_money

register = template.Library()


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with `changes` applied, e.g. for pagination links."""
    query = context["request"].GET.copy()
    for name, value in changes.items():
        query[name] = value
    return query.urlencode()


@register.simple_tag(takes_context=True)
def filter_bar(context, filter_set, *, can_export: bool, export_url_name: str) -> str:
    """includes/filter_bar.html for `filter_set`, kept per process while the watched tables are
    unchanged: ten fields with ~200 options cost a sixth of a list request to render, and the bar
    is the same for everyone who sends the same query string in the same language."""
    values = {"filter": filter_set, "can_export": bool(can_export), "export_url_name": export_url_name}

    def render() -> str:
        template = context.template.engine.get_template("includes/filter_bar.html")
        with context.push(**values):
            return template.render(context)

    key = filter_set.rendering_key()
    if key is None:
        return render()
    return lookup_cache.cached_fragment(("filter-bar", key, values["can_export"], export_url_name), render)


@register.simple_tag(takes_context=True)
def list_actions(context, page: str) -> str:
    """The buttons other apps add beside a list's "New …" (crm.listings.register_list_action)."""
    return format_html_join(
        "",
        '<a class="btn btn-outline-secondary" href="{1}">{0}</a>',
        listings.list_actions_for(page, context["request"].user),
    )


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


@register.filter(is_safe=True)
def whole_number(value) -> str:
    """`value|floatformat:0|intcomma` in one step: rounded half up to a whole number and grouped
    the active language's way ("1,234,000"). A list calls it once a row; the two filters cost
    several times more for the same text."""
    try:
        whole = int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    except (InvalidOperation, ValueError, TypeError):
        return ""
    return number_format(whole, use_l10n=True, force_grouping=True)


@register.filter
def money(amount, currency: str | None = "") -> str:
    """An amount of money the one way every page shows it: `{{ deal.value|money:deal.currency }}`
    gives "90,000 EUR" or "1,234.50 EUR"; without a currency only the amount; "" for None (the
    template chooses its placeholder, e.g. `|default:"—"`). The rule lives in `crm.money`."""
    return format_money(amount, currency)


@register.filter
def money_total(amount) -> str:
    """A total where space is short (a board column's figures): the money rule, rounded to whole
    units ("1,234,568" for 1,234,567.80)."""
    return format_amount(amount, whole=True)
