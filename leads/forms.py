from django import forms
from django.db.models import OuterRef, Subquery
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from contacts.forms import MinimumFieldsFormMixin
from contacts.models import Company, Person
from crm.forms import VersionedModelForm
from crm.widgets import AutocompleteSelect
from leads.models import Lead
from opportunities.forms import CriterionChoiceField, explain_verticals
from opportunities.models import Pipeline, Stage, StageCriterion, Vertical

NEW = "new"
NONE = "none"
OTHER = "other"


class LeadForm(MinimumFieldsFormMixin, VersionedModelForm):
    class Meta:
        model = Lead
        fields = [
            "first_name", "last_name", "company_name", "email", "phone", "title", "linkedin", "business_unit",
            "source", "details", "description", "status", "owner", "team",
        ]  # fmt: skip
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        # Converting is its own action, which records what the lead became.
        self.fields["status"].choices = [
            choice for choice in Lead.Status.choices if choice[0] != Lead.Status.CONVERTED
        ]
        if self.instance.status == Lead.Status.CONVERTED:
            self.fields["status"].disabled = True
            self.fields["status"].choices = Lead.Status.choices


class LeadConversionForm(forms.Form):
    """Which company and which person the lead becomes: a suggested match, another existing
    record picked by search, a new one, or (company only) none."""

    company_choice = forms.ChoiceField(label=_("Company"), widget=forms.RadioSelect)
    other_company = forms.ModelChoiceField(
        queryset=Company.objects.none(),
        required=False,
        label=_("Another existing company"),
        widget=AutocompleteSelect(url=reverse_lazy("contacts:company_autocomplete")),
    )
    person_choice = forms.ChoiceField(label=_("Person"), widget=forms.RadioSelect)
    other_person = forms.ModelChoiceField(
        queryset=Person.objects.none(),
        required=False,
        label=_("Another existing person"),
        widget=AutocompleteSelect(url=reverse_lazy("contacts:person_autocomplete")),
    )

    create_deal = forms.BooleanField(label=_("Also create a deal"), required=False)
    deal_pipeline = forms.ModelChoiceField(
        queryset=Pipeline.objects.filter(is_active=True),
        required=False,
        label=_("Deal pipeline"),
        help_text=_("Choosing a pipeline creates the deal in its first stage."),
    )
    deal_name = forms.CharField(
        max_length=200, required=False, label=_("Deal name"), help_text=_("Empty: the company's name.")
    )
    # What the first stage may ask of the new deal (seed 000's Identify: two ticks, and a
    # prioritised vertical or the reason for adding the deal in its description).
    deal_criteria = CriterionChoiceField(
        queryset=StageCriterion.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("The deal's entry criteria met"),
        help_text=_("Tick what is true; the first stage of the chosen pipeline needs its ticks."),
    )
    deal_vertical = forms.ModelChoiceField(
        queryset=Vertical.objects.filter(is_active=True), required=False, label=_("Deal vertical")
    )
    deal_description = forms.CharField(
        required=False,
        label=_("Deal description"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Outside the prioritised verticals: why the deal is worth adding."),
    )

    def __init__(self, *args, user, lead: Lead, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.lead = lead
        self.fields["other_company"].queryset = Company.objects.visible_to(user)
        self.fields["other_person"].queryset = Person.objects.visible_to(user)
        first_stage = Stage.objects.filter(pipeline_id=OuterRef("stage__pipeline_id")).order_by("position")
        self.fields["deal_criteria"].queryset = (
            StageCriterion.objects.filter(
                stage__pipeline__is_active=True, stage_id=Subquery(first_stage.values("pk")[:1])
            )
            .select_related("stage__pipeline")
            .order_by("stage__pipeline__position", "position")
        )
        explain_verticals(self, "deal_vertical")
        company_choices = [
            (str(company.pk), _("Existing: %(name)s") % {"name": company.name})
            for company in candidates.companies
        ]
        if lead.company_name:
            company_choices.append((NEW, _("Create a new company “%(name)s”") % {"name": lead.company_name}))
        company_choices += [(OTHER, _("Another existing company")), (NONE, _("No company"))]
        self.fields["company_choice"].choices = company_choices
        # Pre-select an existing company only when it really matched (domain or name).
        if candidates.companies:
            self.fields["company_choice"].initial = str(candidates.companies[0].pk)
        else:
            self.fields["company_choice"].initial = NEW if lead.company_name else NONE
        person_choices = [
            (
                str(person.pk),
                _("Existing: %(name)s (%(email)s)") % {"name": person.full_name, "email": person.email},
            )
            for person in candidates.people
        ]
        person_choices += [
            (NEW, _("Create a new person “%(name)s”") % {"name": lead.full_name}),
            (OTHER, _("Another existing person")),
        ]
        self.fields["person_choice"].choices = person_choices
        self.fields["person_choice"].initial = person_choices[0][0]
        self.candidate_companies = {str(c.pk): c for c in candidates.companies}
        self.candidate_people = {str(p.pk): p for p in candidates.people}

    def clean(self):
        cleaned = super().clean()
        company_choice, person_choice = cleaned.get("company_choice"), cleaned.get("person_choice")
        if company_choice == OTHER and not cleaned.get("other_company"):
            self.add_error("other_company", _("Search for and choose the company."))
        if person_choice == OTHER and not cleaned.get("other_person"):
            self.add_error("other_person", _("Search for and choose the person."))
        if cleaned.get("create_deal") and not cleaned.get("deal_pipeline"):
            self.add_error("deal_pipeline", _("Choose the pipeline of the new deal."))
        return cleaned

    def conversion(self) -> dict:
        """Keyword arguments for leads.services.lead_convert."""
        company_choice, person_choice = (
            self.cleaned_data["company_choice"],
            self.cleaned_data["person_choice"],
        )
        company = {OTHER: self.cleaned_data.get("other_company"), NEW: None, NONE: None}.get(
            company_choice, self.candidate_companies.get(company_choice)
        )
        person = {OTHER: self.cleaned_data.get("other_person"), NEW: None}.get(
            person_choice, self.candidate_people.get(person_choice)
        )
        # A chosen pipeline means a deal, ticked or not.
        create_deal = self.cleaned_data.get("create_deal") or self.cleaned_data.get("deal_pipeline")
        pipeline = self.cleaned_data.get("deal_pipeline") if create_deal else None
        return {
            "company": company,
            "create_company": company_choice == NEW,
            "person": person,
            "deal_pipeline": pipeline,
            "deal_name": self.cleaned_data.get("deal_name", ""),
            "deal_vertical": self.cleaned_data.get("deal_vertical"),
            "deal_description": self.cleaned_data.get("deal_description", ""),
            # Ticks of another pipeline's first stage say nothing about this deal.
            "deal_criteria": [
                criterion
                for criterion in self.cleaned_data.get("deal_criteria", [])
                if pipeline is not None and criterion.stage.pipeline_id == pipeline.pk
            ],
        }
