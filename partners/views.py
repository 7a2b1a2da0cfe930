"""Partner pages: the organisations a partner may edit, then the editing pages; each of these starts with
get_organisation_for_editor (404 for anyone else).

Stale edits (institutions/stale.py, the rule the admin applies too): each form carries the version it was
opened with; a save made after someone else's is refused with a message and a fresh form (status 409).
"""

from contextlib import contextmanager

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from experiences.models import Experience
from experiences.partnerships import actions_as_partner
from institutions.completeness import SEED_FIELDS, missing, with_counts
from institutions.models import Organisation
from institutions.stale import STALE_STATUS, is_stale, refuse_stale, version_of
from institutions.text import fold

from .forms import (
    CompetenceFormSet,
    DonorProposalForm,
    ExperienceForm,
    FundingFormSet,
    OrganisationForm,
    ParticipantFormSetForPartners,
    validate_experience,
)
from .history import profile_changes
from .models import DonorProposal
from .permissions import ADD_EXPERIENCE, CHANGE_EXPERIENCE, DELETE_EXPERIENCE, get_organisation_for_editor
from .reminders import reminder_state


def _touch(organisation):
    """An experience or funding changed: the public profile's "last updated" date moves too. The version is
    left alone, so someone editing the general information meanwhile is not refused for nothing."""
    Organisation.objects.filter(pk=organisation.pk).update(updated=timezone.now())


@contextmanager
def locked_for_saving(request, instance):
    """The partner-save steps, one rule for every partner form: a transaction, the row locked, and whether the
    form was opened on an older version than the one saved since (then the visitor is already told, and the
    view shows a fresh form with STALE_STATUS). Yields (the locked instance, stale)."""
    with transaction.atomic():
        if instance.pk:
            instance = type(instance).objects.select_for_update().get(pk=instance.pk)
        stale = bool(instance.pk) and is_stale(request.POST.get("version"), instance)
        if stale:
            refuse_stale(request)
        yield instance, stale


def _saved(request, organisation):
    messages.success(request, _("Your changes are saved and already shown on the public profile."))


# Where a partner fills in each field the completeness rule may find empty.
TAB_OF_FIELD = {"competences": "partners:competences", "experiences": "partners:experiences"}


@login_required
def home(request):
    """The partner's dashboard: the organisations they may edit (staff may edit any, from its address or the
    admin), each with what its profile lacks, whether it is published, its last update and its reminders."""
    organisations = with_counts(Organisation.objects.filter(memberships__user=request.user)).order_by("name")
    cards = []
    for organisation in organisations:
        last_reminder, next_reminder = reminder_state(organisation)
        empty = [
            (label, reverse(TAB_OF_FIELD.get(field, "partners:organisation"), args=[organisation.slug]))
            for field, label in missing(organisation)
        ]
        cards.append(
            {
                "organisation": organisation,
                "missing": empty,
                "filled": len(SEED_FIELDS) - len(empty),
                "total": len(SEED_FIELDS),
                "last_reminder": last_reminder,
                "next_reminder": next_reminder,
            }
        )
    return render(request, "partners/home.html", {"cards": cards})


@login_required
def history(request, slug):
    """The latest changes to the profile: when, by whom, which fields (read-only; staff revert in the admin)."""
    organisation = get_organisation_for_editor(request, slug)
    ctx = {"organisation": organisation, "changes": profile_changes(organisation, request.user), "tab": "history"}
    return render(request, "partners/history.html", ctx)


@login_required
@require_http_methods(["GET", "POST"])
def organisation_edit(request, slug):
    organisation = get_organisation_for_editor(request, slug)
    status = 200
    if request.method == "POST":
        with locked_for_saving(request, organisation) as (organisation, stale):
            if stale:
                form, status = OrganisationForm(instance=organisation), STALE_STATUS
            else:
                form = OrganisationForm(request.POST, instance=organisation)
                if form.is_valid():
                    form.save()
                    _saved(request, organisation)
                    return redirect("partners:organisation", slug=organisation.slug)
    else:
        form = OrganisationForm(instance=organisation)
    ctx = {"organisation": organisation, "form": form, "version": version_of(organisation), "tab": "general"}
    return render(request, "partners/organisation_form.html", ctx, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def competences_edit(request, slug):
    organisation = get_organisation_for_editor(request, slug)
    status = 200
    if request.method == "POST":
        with locked_for_saving(request, organisation) as (organisation, stale):
            if stale:
                formset, status = CompetenceFormSet(organisation=organisation), STALE_STATUS
            else:
                formset = CompetenceFormSet(request.POST, organisation=organisation)
                if formset.is_valid():
                    formset.save()
                    organisation.save()  # new version and "last updated" date, kept in history
                    _saved(request, organisation)
                    return redirect("partners:competences", slug=organisation.slug)
    else:
        formset = CompetenceFormSet(organisation=organisation)
    ctx = {
        "organisation": organisation,
        "formset": formset,
        "version": version_of(organisation),
        "tab": "competences",
    }
    return render(request, "partners/competences_form.html", ctx, status=status)


@login_required
def experience_list(request, slug):
    organisation = get_organisation_for_editor(request, slug, CHANGE_EXPERIENCE)
    experiences = organisation.experiences.order_by("-start_date", "id")
    ctx = {
        "organisation": organisation,
        "experiences": experiences,
        "partner_actions": actions_as_partner(organisation),
        "tab": "experiences",
    }
    return render(request, "partners/experience_list.html", ctx)


@login_required
@require_http_methods(["GET", "POST"])
def experience_edit(request, slug, pk=None):
    """One view adds (pk None) and changes an experience with its fundings and participants."""
    organisation = get_organisation_for_editor(request, slug, ADD_EXPERIENCE if pk is None else CHANGE_EXPERIENCE)
    if pk is None:
        experience = Experience(organisation=organisation)
    else:
        experience = get_object_or_404(organisation.experiences, pk=pk)
    search_url = reverse("partners:organisation_search", args=[organisation.slug])

    def formsets(data=None):
        return (
            FundingFormSet(data, instance=experience),
            ParticipantFormSetForPartners(data, instance=experience, search_url=search_url),
        )

    status = 200
    if request.method == "POST":
        with locked_for_saving(request, experience) as (experience, stale):
            if stale:
                form, (fundings, participants) = ExperienceForm(instance=experience), formsets()
                status = STALE_STATUS
            else:
                form = ExperienceForm(request.POST, instance=experience)
                fundings, participants = formsets(request.POST)
                if validate_experience(form, fundings, participants):
                    experience = form.save()
                    for formset in (fundings, participants):
                        formset.instance = experience
                        formset.save()
                    _touch(organisation)
                    _saved(request, organisation)
                    return redirect("partners:experiences", slug=organisation.slug)
    else:
        form, (fundings, participants) = ExperienceForm(instance=experience), formsets()
    ctx = {
        "organisation": organisation,
        "experience": experience,
        "form": form,
        "fundings": fundings,
        "participants": participants,
        "version": version_of(experience) if experience.pk else "",
        "tab": "experiences",
    }
    return render(request, "partners/experience_form.html", ctx, status=status)


SEARCH_RESULTS = 20  # organisations the picker offers for what was typed


@login_required
def organisation_search(request, slug):
    """The participant picker's suggestions (JSON for Tom Select): published organisations whose name,
    acronym, address or city contains what was typed, this one excepted (not its own partner)."""
    organisation = get_organisation_for_editor(request, slug, CHANGE_EXPERIENCE)
    typed = request.GET.get("q", "").strip()[:100]
    folded = fold(typed)  # names are matched as they sort: accents and capitals ignored ("segou" finds Ségou)
    results = []
    if len(typed) >= 2 and "\x00" not in typed:
        found = (
            Organisation.objects.published()
            .exclude(pk=organisation.pk)
            .filter(
                Q(sort_name_fr__contains=folded)
                | Q(sort_name_en__contains=folded)
                | Q(acronym__icontains=typed)
                | Q(slug__icontains=typed)
                | Q(city__icontains=typed)
            )
            .order_by(f"sort_name_{get_language() if get_language() == 'en' else 'fr'}", "pk")[:SEARCH_RESULTS]
        )
        results = [{"slug": o.slug, "name": str(o), "country": o.country.name if o.country else ""} for o in found]
    return JsonResponse({"results": results})


@login_required
@require_http_methods(["GET", "POST"])
def experience_delete(request, slug, pk):
    organisation = get_organisation_for_editor(request, slug, DELETE_EXPERIENCE)
    experience = get_object_or_404(organisation.experiences, pk=pk)
    if request.method == "POST":
        with transaction.atomic():
            # History keeps the experience, its countries and fundings: staff can restore them.
            experience.delete()
            _touch(organisation)
        messages.success(request, _("The experience was deleted. The secretariat can restore it if needed."))
        return redirect("partners:experiences", slug=organisation.slug)
    ctx = {"organisation": organisation, "experience": experience, "tab": "experiences"}
    return render(request, "partners/experience_confirm_delete.html", ctx)


@login_required
@require_http_methods(["GET", "POST"])
def donor_propose(request, slug):
    """A donor missing from the funding rows' list, proposed for staff to add; the organisation's proposals
    and what became of them."""
    organisation = get_organisation_for_editor(request, slug, CHANGE_EXPERIENCE)
    form = DonorProposalForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        form.instance.organisation, form.instance.proposed_by = organisation, request.user
        form.save()
        messages.success(request, _("Thank you: staff will add this donor, usually within a few days."))
        return redirect("partners:donor_propose", slug=organisation.slug)
    proposals = DonorProposal.objects.filter(organisation=organisation)[:50]
    ctx = {"organisation": organisation, "form": form, "proposals": proposals, "tab": "experiences"}
    return render(request, "partners/donor_propose.html", ctx, status=400 if form.errors else 200)
