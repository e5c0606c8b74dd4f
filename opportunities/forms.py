from django import forms
from django.forms import modelform_factory
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from contacts.models import BuyingInfluence, Company, Person
from crm.custom_fields import CustomFieldsFormMixin
from crm.forms import VersionedModelForm
from crm.models import User
from crm.widgets import AutocompleteSelect
from opportunities import pipeline as gates
from opportunities.models import REQUIREMENT_FIELDS, Deal, Pipeline, Stage, StageCriterion, Vertical

COMPANY_WIDGET = AutocompleteSelect(url=reverse_lazy("contacts:company_autocomplete"))
PERSON_WIDGET = AutocompleteSelect(url=reverse_lazy("contacts:person_autocomplete"))
DATE_WIDGET = forms.DateInput(attrs={"type": "date"})


def explain_verticals(form, name: str = "vertical") -> None:
    """Name the prioritised verticals under the vertical picker: outside them, a deal entering the
    journey needs the reason for adding it in its description (seed 000)."""
    if name not in form.fields:
        return
    prioritised = [vertical.name for vertical in Vertical.objects.filter(is_active=True, is_prioritised=True)]
    if prioritised:
        form.fields[name].help_text = _(
            "Prioritised: %(names)s. For any other, say in the description why the deal is worth adding."
        ) % {"names": ", ".join(prioritised)}


def _scope_relations(form, user) -> None:
    """Companies and people offered (and accepted) are only those the user can see."""
    if "company" in form.fields:
        form.fields["company"].queryset = Company.objects.visible_to(user)
    if "primary_contact" in form.fields:
        form.fields["primary_contact"].queryset = Person.objects.visible_to(user)


def apply_fixed_labels(form, pipeline: Pipeline | None) -> None:
    """Seed 001, "Definition": when `pipeline` has a fixed list of deal names (subjects) or of
    probabilities (weights), offer a dropdown of them instead of free text and refuse any other
    value. A deal named or weighted before the list existed keeps its value until it is changed."""
    if pipeline is None:
        return
    instance = form.instance
    names = pipeline.fixed_deal_names
    if names and "name" in form.fields:
        current = instance.name if instance.pk and instance.name not in names else None
        form.fields["name"] = forms.ChoiceField(
            label=form.fields["name"].label,
            choices=[("", "---------"), *((name, name) for name in names)]
            + ([(current, _("%(name)s (not in the list)") % {"name": current})] if current else []),
            error_messages={
                "invalid_choice": _("Choose one of the deal names of the pipeline %(pipeline)s.")
                % {"pipeline": pipeline.name}
            },
            help_text=_("The pipeline %(pipeline)s names its deals from this list.")
            % {"pipeline": pipeline.name},
        )
    weights = pipeline.fixed_probabilities
    if weights and "probability" in form.fields:
        current = instance.probability
        allowed = weights + (
            [current] if instance.pk and current is not None and current not in weights else []
        )
        form.fields["probability"] = forms.TypedChoiceField(
            label=form.fields["probability"].label,
            coerce=int,
            empty_value=None,
            required=False,
            choices=[("", _("The stage's default")), *((value, f"{value} %") for value in allowed)],
            error_messages={
                "invalid_choice": _("Choose one of the probabilities of the pipeline %(pipeline)s.")
                % {"pipeline": pipeline.name}
            },
        )


class DealForm(CustomFieldsFormMixin, VersionedModelForm):
    """A deal's fields; the stage is changed with the stage-move form, which runs the gates."""

    custom_field_model = Deal
    phone_fields = ()

    class Meta:
        model = Deal
        fields = [
            "name", "company", "primary_contact", "value", "currency", "probability",
            "expected_close_date", "volume_amount", "volume_unit", "sector", "vertical", "business_unit",
            "use_case", "business_case", "status_report", "description", "owner", "team", "colleagues",
        ]  # fmt: skip
        widgets = {
            "company": COMPANY_WIDGET,
            "primary_contact": PERSON_WIDGET,
            "expected_close_date": DATE_WIDGET,
            "use_case": forms.Textarea(attrs={"rows": 2}),
            "business_case": forms.Textarea(attrs={"rows": 2}),
            "status_report": forms.Textarea(attrs={"rows": 2}),
            "description": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        _scope_relations(self, user)
        explain_verticals(self)
        self.fields["colleagues"].queryset = User.objects.filter(is_active=True)
        self.fields["colleagues"].help_text = _("Colleagues working on the deal with its owner.")
        if self.instance.pipeline_id:
            apply_fixed_labels(self, self.instance.pipeline)

    def clean_currency(self):
        currency = self.cleaned_data["currency"].strip().upper()
        if len(currency) != 3 or not currency.isalpha():
            raise forms.ValidationError(_("Enter a three-letter currency code, e.g. EUR, SEK or HUF."))
        return currency


class CriterionChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.stage.pipeline.name} · {obj.stage.name}: {obj.text}"


class NewDealForm(DealForm):
    """A new deal: its pipeline, the stage it starts in (gates up to that stage apply) and the
    ticks of those stages' checklists, e.g. Identify's entry criteria."""

    pipeline = forms.ModelChoiceField(queryset=Pipeline.objects.filter(is_active=True), label=_("Pipeline"))
    stage = forms.ModelChoiceField(queryset=Stage.objects.none(), label=_("Stage"), required=False)
    criteria = CriterionChoiceField(
        queryset=StageCriterion.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Criteria met"),
        help_text=_(
            "Tick what is true: the stage the deal starts in and each stage before it need their ticks."
        ),
    )

    field_order = ["pipeline", "stage", "criteria"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        pipeline_id = self.data.get("pipeline") or self.initial.get("pipeline")
        stages = Stage.objects.filter(pipeline__is_active=True).select_related("pipeline")
        criteria = StageCriterion.objects.filter(
            stage__pipeline__is_active=True, stage__kind=Stage.Kind.OPEN
        ).select_related("stage__pipeline")
        if pipeline_id and str(pipeline_id).isdigit():
            stages = stages.filter(pipeline_id=pipeline_id)
            criteria = criteria.filter(stage__pipeline_id=pipeline_id)
            apply_fixed_labels(self, Pipeline.objects.filter(pk=pipeline_id, is_active=True).first())
        self.fields["stage"].queryset = stages
        self.fields["stage"].help_text = _("Empty: the pipeline's first stage.")
        self.fields["criteria"].queryset = criteria.order_by(
            "stage__pipeline__position", "stage__position", "position"
        )
        if not self.fields["criteria"].queryset.exists():
            del self.fields["criteria"]

    def confirmed_criteria(self) -> list[StageCriterion]:
        """The ticks given for the chosen pipeline (a tick of another pipeline's stage means nothing)."""
        pipeline = self.cleaned_data["pipeline"]
        return [c for c in self.cleaned_data.get("criteria", []) if c.stage.pipeline_id == pipeline.pk]

    def clean(self):
        cleaned = super().clean()
        pipeline, stage = cleaned.get("pipeline"), cleaned.get("stage")
        if pipeline and stage and stage.pipeline_id != pipeline.pk:
            self.add_error("stage", _("Choose a stage of the pipeline %(name)s.") % {"name": pipeline.name})
        return cleaned

    def service_values(self):
        values = super().service_values()
        for name in ("pipeline", "stage", "criteria"):
            values.pop(name, None)
        return values


# What a rep fills in for each kind of missing item.
MODEL_FIELDS_OF_REQUIREMENT = {
    "volume": ["volume_amount", "volume_unit"],
    "value": ["value", "currency"],  # an amount means nothing without its currency
    "name": ["name"],
    "contact_person": ["primary_contact"],
    "prioritised_vertical": ["vertical"],
}
# Sent by the form that asks for the missing items; a drop on the board or a stage button sends
# only the stage and version, and then gets that form without errors on fields not typed in yet.
FILLED_IN = "filled_in"
CRITERION_PREFIX = "criterion_"


class StageChoiceForm(forms.Form):
    """Where a deal moves: a stage of its own pipeline, and the version of the deal the mover saw.

    Both travel in hidden inputs (a drop on the board, a stage button), so what is wrong with them
    is said above the form."""

    stage = forms.ModelChoiceField(queryset=Stage.objects.none(), widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, deal: Deal, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = Stage.objects.filter(pipeline_id=deal.pipeline_id)
        message = _("Choose a stage of the deal's own pipeline (%(name)s).") % {"name": deal.pipeline.name}
        self.fields["stage"].error_messages.update(required=message, invalid_choice=message)
        reload = _("Reload the page and try again.")
        self.fields["version"].error_messages.update(required=reload, invalid=reload)

    def full_clean(self):
        super().full_clean()
        for name in ("stage", "version"):
            if name in self._errors:
                self.add_error(None, self._errors.pop(name))


class StageMoveBaseForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    stage = forms.ModelChoiceField(queryset=Stage.objects.none(), widget=forms.HiddenInput)
    filled_in = forms.CharField(widget=forms.HiddenInput, required=False, initial="1")

    optional_fields: frozenset[str] = frozenset()  # one of alternatives: the gate says which will do
    asks_missing = True  # False: the posted form read back, each field as the model requires it

    def __init__(self, *args, user, deal: Deal, criteria, **kwargs):
        super().__init__(*args, instance=deal, **kwargs)
        _scope_relations(self, user)
        explain_verticals(self)
        self.fields["stage"].queryset = Stage.objects.filter(pipeline_id=deal.pipeline_id)
        if self.asks_missing:
            for name, field in self.fields.items():
                if name not in {"version", "stage", FILLED_IN}:
                    field.required = name not in self.optional_fields
        self.criteria = list(criteria)
        for criterion in self.criteria:
            self.fields[f"{CRITERION_PREFIX}{criterion.pk}"] = forms.BooleanField(
                label=criterion.text, required=self.asks_missing
            )

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields}

    def confirmed_criteria(self) -> list:
        return [c for c in self.criteria if self.cleaned_data.get(f"{CRITERION_PREFIX}{c.pk}")]


MOVE_WIDGETS = {
    "company": COMPANY_WIDGET,
    "primary_contact": PERSON_WIDGET,
    "expected_close_date": DATE_WIDGET,
    "lost_reason": forms.Textarea(attrs={"rows": 2}),
    "use_case": forms.Textarea(attrs={"rows": 2}),
    "business_case": forms.Textarea(attrs={"rows": 2}),
    "description": forms.Textarea(attrs={"rows": 2}),
}
# Every deal field a stage-move form can ask for (a stage may require any requirement).
ASKABLE_FIELDS = list(
    dict.fromkeys(
        name for key in ["name", *REQUIREMENT_FIELDS] for name in MODEL_FIELDS_OF_REQUIREMENT.get(key, [key])
    )
)


def stage_move_form(*, deal: Deal, stage: Stage, user, missing: list[gates.MissingItem], data=None):
    """A form asking for exactly the `missing` items: what the gate, run by the move service,
    said `deal` lacks to enter `stage`. Bound to `data` (the form as filled in), it says which
    inputs are still empty; unbound, it is offered without errors on what is not typed yet."""
    fields, required = [], set()
    for item in missing:
        keys = ["name"] if item.kind == "name" else item.requirements
        for key in keys:
            for name in MODEL_FIELDS_OF_REQUIREMENT.get(key, [key]):
                if name not in fields:
                    fields.append(name)
                if item.kind != "either":
                    required.add(name)
    form_class = modelform_factory(Deal, form=StageMoveBaseForm, fields=fields, widgets=MOVE_WIDGETS)
    form_class.optional_fields = frozenset(fields) - required
    version = data.get("version", deal.version) if data is not None else deal.version
    initial = {"stage": stage.pk, "version": version}
    return form_class(data, user=user, deal=deal, criteria=gates.criteria_of(missing), initial=initial)


def filled_in_move_form(*, deal: Deal, user, data):
    """The stage-move form as posted, read back without asking the gate again: the deal fields
    and checklist ticks it carries. The move service runs the gate once on these values, and
    what is still missing comes back in a form from stage_move_form."""
    fields = [name for name in ASKABLE_FIELDS if name in data]
    ticked = [key.removeprefix(CRITERION_PREFIX) for key in data if key.startswith(CRITERION_PREFIX)]
    criteria = StageCriterion.objects.filter(
        stage__pipeline_id=deal.pipeline_id, pk__in=[pk for pk in ticked if pk.isdigit()]
    )
    form_class = modelform_factory(Deal, form=StageMoveBaseForm, fields=fields, widgets=MOVE_WIDGETS)
    form_class.asks_missing = False
    return form_class(data, user=user, deal=deal, criteria=criteria)


class DealContactForm(forms.Form):
    """A person involved in the deal and their buying-influence role."""

    person = forms.ModelChoiceField(queryset=Person.objects.none(), label=_("Person"), widget=PERSON_WIDGET)
    role = forms.ModelChoiceField(
        queryset=BuyingInfluence.objects.filter(is_active=True), required=False, label=_("Role")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = Person.objects.visible_to(user)
