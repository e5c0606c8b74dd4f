import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from contacts.models import Company
from crm.models import User


class CompanyFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    owner = django_filters.ModelChoiceFilter(queryset=User.objects.none(), label=_("Owner"))
    ordering = django_filters.OrderingFilter(
        fields=(("name", "name"), ("created_at", "created"), ("updated_at", "updated")),
        label=_("Sort"),
    )

    class Meta:
        model = Company
        fields = ["q", "owner"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["owner"].queryset = User.objects.filter(is_active=True)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(email_domain__icontains=value))
