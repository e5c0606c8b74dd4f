"""The knowledge base's forms: an article, the categories (one formset), a vote."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.forms import VersionedModelForm
from support.knowledge.models import Article, Category


class ArticleForm(VersionedModelForm):
    class Meta:
        model = Article
        fields = ["title", "category", "body", "status", "audience", "owner"]
        widgets = {"body": forms.Textarea(attrs={"rows": 14})}


class CategoryForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = ["name", "position", "parent"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            css = "form-select form-select-sm" if name == "parent" else "form-control form-control-sm"
            field.widget.attrs["class"] = css


CategoryFormSet = forms.modelformset_factory(
    Category, form=CategoryForm, extra=1, can_delete=True, max_num=500, validate_max=True
)


class VoteForm(forms.Form):
    helpful = forms.TypedChoiceField(
        choices=[("yes", _("Yes")), ("no", _("No"))], coerce=lambda value: value == "yes"
    )
