"""Segments (issue 14, item 2): saved filters over people or companies, and who is in them.

A segment's `definition` is the JSON of its form's filter values:

    {"categories": [id…], "sectors": [id…], "company_segments": [id…], "owners": [id…],
     "consent": "" | "yes" | "no", "min_score": int | null, "grades": [label…],
     "custom": {key: value}, "company_custom": {key: value}}

Company filters (category, sector, company segment, company custom fields) apply to a person's
company; a segment of companies reaches the people of its companies, and its owner filter is the
companies' owner. Consent, score and grade are the people's own. `members` is the one place that
reads a definition: the segment page, the live count and the sending all use it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from contacts.models import Company, CompanyCategory, Person, Sector
from contacts.models import Segment as CompanySegment
from crm import access, custom_fields
from crm.models import User
from crm.services import record_create, record_update
from marketing.models import Grade, PersonScore, Segment

COMPANY_CUSTOM_PREFIX = "company_cf_"
LIST_KEYS = ("categories", "sectors", "company_segments", "owners")


def _custom(definitions, stored: dict) -> dict[str, Any]:
    """Stored custom-field values as the cleaned data custom_fields.apply_filters reads."""
    values = {}
    for definition in definitions:
        if definition.key in stored:
            value = custom_fields.from_json(definition, stored[definition.key])
            values[custom_fields.FORM_PREFIX + definition.key] = value
    return values


def _ints(values) -> list[int]:
    return [value for value in values or [] if isinstance(value, int) and not isinstance(value, bool)]


def _company_filter(definition: dict, prefix: str) -> models.Q:
    q = models.Q()
    if categories := _ints(definition.get("categories")):
        q &= models.Q(**{f"{prefix}categories__in": categories})
    if sectors := _ints(definition.get("sectors")):
        q &= models.Q(**{f"{prefix}sector__in": sectors})
    if segments := _ints(definition.get("company_segments")):
        q &= models.Q(**{f"{prefix}segment__in": segments})
    return q


def members(segment: Segment, user: User | None = None) -> models.QuerySet:
    """The people of `segment` (a segment of companies: their people), as `user` sees them
    (everyone when no user is given)."""
    definition = segment.definition if isinstance(segment.definition, dict) else {}
    people = Person.objects.all() if user is None else Person.objects.visible_to(user)
    owners = _ints(definition.get("owners"))
    company_custom = definition.get("company_custom") or {}
    if segment.target == Segment.Target.COMPANIES:
        companies = Company.objects.filter(_company_filter(definition, ""))
        if owners:
            companies = companies.filter(owner__in=owners)
        if isinstance(company_custom, dict) and company_custom:
            definitions = custom_fields.definitions_for(Company)
            companies = custom_fields.apply_filters(
                companies, definitions, _custom(definitions, company_custom)
            )
        people = people.filter(company__in=companies.values("pk"))
    else:
        if _company_filter(definition, ""):
            # Through a subquery: a company in two chosen categories must not list its people twice.
            people = people.filter(
                company__in=Company.objects.filter(_company_filter(definition, "")).values("pk")
            )
        if owners:
            people = people.filter(owner__in=owners)
        if isinstance(company_custom, dict) and company_custom:
            definitions = custom_fields.definitions_for(Company)
            companies = custom_fields.apply_filters(
                Company.objects.all(), definitions, _custom(definitions, company_custom)
            )
            people = people.filter(company__in=companies.values("pk"))
    consent = definition.get("consent")
    if consent == "yes":
        people = people.filter(consent_email=True, unsubscribed_at__isnull=True)
    elif consent == "no":
        people = people.filter(models.Q(consent_email=False) | models.Q(unsubscribed_at__isnull=False))
    person_custom = definition.get("custom") or {}
    if isinstance(person_custom, dict) and person_custom:
        definitions = custom_fields.definitions_for(Person)
        people = custom_fields.apply_filters(people, definitions, _custom(definitions, person_custom))
    min_score = definition.get("min_score")
    if not isinstance(min_score, int) or isinstance(min_score, bool):
        min_score = None
    grades = [grade for grade in definition.get("grades") or [] if isinstance(grade, str)]
    if min_score is not None or grades:
        scores = PersonScore.objects.filter(person=OuterRef("pk"))
        if min_score is not None:
            scores = scores.filter(score__gte=min_score)
        if grades:
            scores = scores.filter(grade__in=grades)
        people = people.filter(Exists(scores))
    return people


# Who a mailing may go to: with an e-mail address, marketing consent, and not unsubscribed.
REACHABLE = models.Q(consent_email=True, unsubscribed_at__isnull=True) & ~models.Q(email="")


def reachable(people: models.QuerySet) -> models.QuerySet:
    """Those of `people` a mailing may go to (REACHABLE)."""
    return people.filter(REACHABLE)


def counts(segment: Segment, user: User | None = None) -> dict[str, int]:
    """How many people the segment holds, and how many of them a mailing reaches."""
    # One pass over the members counts both.
    found = members(segment, user).aggregate(
        members=models.Count("pk"), reachable=models.Count("pk", filter=REACHABLE)
    )
    return {**found, "excluded": found["members"] - found["reachable"]}


class SegmentForm(forms.ModelForm):
    """The segment's name and its filters; `definition()` is the JSON the filters make."""

    categories = forms.ModelMultipleChoiceField(
        label=_("Company categories"), queryset=CompanyCategory.objects.filter(is_active=True), required=False
    )
    sectors = forms.ModelMultipleChoiceField(
        label=_("Sectors"), queryset=Sector.objects.filter(is_active=True), required=False
    )
    company_segments = forms.ModelMultipleChoiceField(
        label=_("Company segments"), queryset=CompanySegment.objects.filter(is_active=True), required=False
    )
    owners = forms.ModelMultipleChoiceField(label=_("Owners"), queryset=User.objects.none(), required=False)
    consent = forms.ChoiceField(
        label=_("Marketing consent"),
        required=False,
        choices=[("", _("Any")), ("yes", _("Agrees to e-mail")), ("no", _("No consent or unsubscribed"))],
    )
    min_score = forms.IntegerField(
        label=_("Score at least"), required=False, min_value=-1_000_000, max_value=1_000_000
    )
    grades = forms.MultipleChoiceField(label=_("Grades"), required=False)

    class Meta:
        model = Segment
        fields = ["name", "target", "description"]

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["owners"].queryset = access.visible_users(user).order_by("username")
        self.fields["grades"].choices = [
            (label, label) for label in Grade.objects.values_list("label", flat=True)
        ]
        self.person_definitions = [d for d in custom_fields.definitions_for(Person) if d.filterable]
        self.company_definitions = [d for d in custom_fields.definitions_for(Company) if d.filterable]
        for definition in self.person_definitions:
            self.fields[custom_fields.FORM_PREFIX + definition.key] = custom_fields.form_field(
                definition, for_filter=True
            )
        for definition in self.company_definitions:
            field = custom_fields.form_field(definition, for_filter=True)
            field.label = _("Company: %(label)s") % {"label": definition.label}
            self.fields[COMPANY_CUSTOM_PREFIX + definition.key] = field
        if self.instance.pk and not self.is_bound:
            self._initial_from(self.instance.definition or {})

    def _initial_from(self, definition: dict) -> None:
        for key in LIST_KEYS:
            self.initial[key] = _ints(definition.get(key))
        self.initial["consent"] = definition.get("consent", "")
        self.initial["min_score"] = definition.get("min_score")
        self.initial["grades"] = definition.get("grades") or []
        for definitions, stored, prefix in (
            (self.person_definitions, definition.get("custom") or {}, custom_fields.FORM_PREFIX),
            (self.company_definitions, definition.get("company_custom") or {}, COMPANY_CUSTOM_PREFIX),
        ):
            for item in definitions:
                if item.key in stored:
                    self.initial[prefix + item.key] = custom_fields.from_json(item, stored[item.key])

    def definition(self) -> dict[str, Any]:
        data = self.cleaned_data
        result: dict[str, Any] = {key: sorted(item.pk for item in data.get(key) or []) for key in LIST_KEYS}
        result["consent"] = data.get("consent") or ""
        result["min_score"] = data.get("min_score")
        result["grades"] = list(data.get("grades") or [])
        for name, definitions, prefix in (
            ("custom", self.person_definitions, custom_fields.FORM_PREFIX),
            ("company_custom", self.company_definitions, COMPANY_CUSTOM_PREFIX),
        ):
            values = {}
            for item in definitions:
                value = custom_fields.to_json(item, data.get(prefix + item.key))
                if value is not None:
                    values[item.key] = value
            result[name] = values
        return result

    def unsaved_segment(self) -> Segment:
        """The segment the (valid) form describes, for the live count."""
        return Segment(
            name=self.cleaned_data.get("name") or "",
            target=self.cleaned_data.get("target") or Segment.Target.PEOPLE,
            definition=self.definition(),
        )


def segment_create(*, actor: User, values: dict[str, Any], definition: dict[str, Any]) -> Segment:
    """Save a new segment, owned by `actor`."""
    segment = Segment(**values, definition=definition, owner=actor)
    return record_create(actor=actor, instance=segment)


def segment_update(
    *,
    actor: User,
    segment: Segment,
    values: dict[str, Any],
    definition: dict[str, Any],
    expected_version: int,
) -> Segment:
    """Change a segment unless someone saved it since `expected_version`."""
    return record_update(
        actor=actor,
        instance=segment,
        changes={**values, "definition": definition},
        expected_version=expected_version,
    )
