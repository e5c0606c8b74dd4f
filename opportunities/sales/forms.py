from __future__ import annotations

from decimal import Decimal

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from opportunities.sales.models import Product, Quote, SalesTarget


class DealLineForm(forms.Form):
    """A deal line: a product (its price is the default) or a description, and the figures."""

    def __init__(self, *args, html_form: str | None = None, **kwargs):
        # `html_form`: the id of the <form> the fields belong to when they sit in the cells of a
        # table row (a <form> cannot wrap a <tr>); their own ids then carry it too, so that
        # several line forms share one page.
        if html_form:
            kwargs.setdefault("auto_id", f"{html_form}-%s")
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if html_form:
                field.widget.attrs["form"] = html_form
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(field.widget, forms.Select):
                field.widget.attrs.setdefault("class", "form-select form-select-sm")
            else:
                field.widget.attrs.setdefault("class", "form-control form-control-sm")

    product = forms.ModelChoiceField(
        label=_("Product"),
        queryset=Product.objects.filter(is_active=True).select_related("category"),
        required=False,
        error_messages={"invalid_choice": _("That product does not exist or is no longer sold.")},
    )
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    quantity = forms.DecimalField(
        label=_("Quantity"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        initial=1,
        error_messages={"min_value": _("The quantity must be more than zero.")},
    )
    unit_price = forms.DecimalField(
        label=_("Unit price"),
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text=_("Leave empty to use the product's price."),
        error_messages={"min_value": _("The price cannot be negative.")},
    )
    discount = forms.DecimalField(
        label=_("Discount (%)"),
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        required=False,
        error_messages={
            "min_value": _("The discount cannot be negative."),
            "max_value": _("The discount cannot be more than 100 percent."),
        },
    )
    update_deal_value = forms.BooleanField(
        label=_("Set the deal's value to the lines' total"), required=False
    )

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            if not cleaned.get("product") and not cleaned.get("description", "").strip():
                raise forms.ValidationError(_("Choose a product or describe the line."))
            if not cleaned.get("product") and cleaned.get("unit_price") is None:
                raise forms.ValidationError(_("Enter a unit price for a line without a product."))
        return cleaned

    @classmethod
    def for_line(cls, line, data=None, **kwargs) -> DealLineForm:
        """The form to change `line`, filled with it; its product stays choosable if retired."""
        shown = ("description", "quantity", "unit_price", "discount")
        initial = {name: getattr(line, name) for name in shown}
        form = cls(data, initial={**initial, "product": line.product_id}, **kwargs)
        if line.product_id:
            product = form.fields["product"]
            product.queryset = Product.objects.filter(
                Q(is_active=True) | Q(pk=line.product_id)
            ).select_related("category")
        return form

    def values(self) -> dict:
        cleaned = self.cleaned_data
        return {
            "product": cleaned["product"],
            "description": cleaned["description"].strip(),
            "quantity": cleaned["quantity"],
            "unit_price": cleaned["unit_price"],
            "discount": cleaned["discount"] if cleaned["discount"] is not None else Decimal(0),
        }


class TargetPeriodForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Period"), choices=SalesTarget.PeriodType.choices, initial=SalesTarget.PeriodType.MONTH
    )
    month = forms.DateField(
        label=_("Month"),
        input_formats=["%Y-%m"],
        required=False,
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        error_messages={"invalid": _("Enter a month as YYYY-MM.")},
    )


class QuoteStatusForm(forms.Form):
    """A quote's new status, and the status the user saw (a change meanwhile is refused)."""

    status = forms.ChoiceField(
        choices=Quote.Status.choices,
        error_messages={"invalid_choice": _("“%(value)s” is not a status of a quote.")},
    )
    expected_status = forms.ChoiceField(choices=Quote.Status.choices, required=False)
