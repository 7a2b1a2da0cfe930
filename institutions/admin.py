"""Staff admin for organisations, their competences and the OECD sector reference data (partner access:
partners/admin.py).

French and English fields sit next to each other (modeltranslation's admin classes); models with history
also get simple_history's "History" page, from which staff can revert a change.
"""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import router, transaction
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_countries.filters import CountryFilter
from modeltranslation.admin import TranslationAdmin
from simple_history.admin import SimpleHistoryAdmin

from experiences.models import Experience

from .completeness import completeness, with_counts
from .formatting import short_date
from .formsets import CompetenceFormSet
from .importing import Report
from .models import MAX_COMPETENCES, Competence, ImportRun, Organisation, Sector, SectorCategory
from .stale import is_stale, refuse_stale, version_of
from .tasks import apply_import, check_import


class CompetenceCategoryFilter(admin.SimpleListFilter):
    """Organisations with at least one competence in an OECD 3-digit category."""

    title = _("competence (sector category)")
    parameter_name = "competence_category"

    def lookups(self, request, model_admin):
        return [(c.code, str(c)) for c in SectorCategory.objects.filter(sectors__competences__isnull=False).distinct()]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        # A subquery rather than a join, so an organisation with two competences in the category is
        # listed once and the experience count annotation is not multiplied.
        matching = Competence.objects.filter(sector__category__code=self.value()).values("organisation_id")
        return queryset.filter(pk__in=matching)


# A profile not touched for this long is worth a reminder to its partners.
STALE_AFTER = timedelta(days=2 * 365)


class NotUpdatedFilter(admin.SimpleListFilter):
    title = _("last update")
    parameter_name = "stale"

    def lookups(self, request, model_admin):
        return [("yes", _("not updated for 2 years")), ("no", _("updated within 2 years"))]

    def queryset(self, request, queryset):
        cutoff = timezone.now() - STALE_AFTER
        if self.value() == "yes":
            return queryset.filter(updated__lt=cutoff)
        if self.value() == "no":
            return queryset.filter(updated__gte=cutoff)
        return queryset


def empty(field):
    return Q(**{f"{field}__isnull": True}) | Q(**{field: ""})


class MissingLanguageFilter(admin.SimpleListFilter):
    """Profiles whose name or general description is empty in one language (shown with a fallback)."""

    title = _("missing translation")
    parameter_name = "missing"

    def lookups(self, request, model_admin):
        return [("fr", _("missing French (name or description)")), ("en", _("missing English (name or description)"))]

    def queryset(self, request, queryset):
        if self.value() in ("fr", "en"):
            return queryset.filter(empty(f"name_{self.value()}") | empty(f"description_{self.value()}"))
        return queryset


class WithdrawnCodeFilter(admin.SimpleListFilter):
    """Records that keep an OECD code since withdrawn (see `manage.py load_sectors`), to be reviewed."""

    title = _("withdrawn OECD code")
    parameter_name = "withdrawn_code"

    def lookups(self, request, model_admin):
        return [("yes", _("uses a withdrawn code")), ("no", _("uses current codes only"))]

    def using_withdrawn(self):
        """Primary keys of the records of this changelist that use a withdrawn code."""
        return Competence.objects.filter(sector__withdrawn=True).values("organisation_id")

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(pk__in=self.using_withdrawn())
        if self.value() == "no":
            return queryset.exclude(pk__in=self.using_withdrawn())
        return queryset


class VersionedAdminForm(forms.ModelForm):
    """An admin change form that carries the version of the record it was opened on (hidden; list it in
    the admin's fieldsets). StaleEditAdminMixin compares it on save."""

    seen_version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["seen_version"].initial = version_of(self.instance)


class StaleEditAdminMixin:
    """A change form saved after someone else saved the record (a partner, another staff member) is refused
    like on the partner pages (institutions/stale.py): same message, and the page shows the current data.
    The row stays locked from the check to the end of the save."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method != "POST" or object_id is None or not str(object_id).isdigit():
            return super().changeform_view(request, object_id, form_url, extra_context)
        with transaction.atomic(using=router.db_for_write(self.model)):
            record = self.model._default_manager.select_for_update().filter(pk=object_id).first()
            if record is not None and is_stale(request.POST.get("seen_version"), record):
                refuse_stale(request)
                return HttpResponseRedirect(request.get_full_path())
            return super().changeform_view(request, object_id, form_url, extra_context)


# Inlines with no natural maximum (partners of an organisation, its experiences listed read-only) still
# build no more forms than this from a posted TOTAL_FORMS (Django's default is max_num + 1,000).
ADMIN_INLINE_ABSOLUTE_MAX = 500


class BoundedInlineMixin:
    """An inline builds at most twice its max_num forms (room to delete as many rows as are kept), or
    ADMIN_INLINE_ABSOLUTE_MAX without one (or when the admin set max_num to 0 because this user may not add
    rows: the existing ones are still posted); a larger TOTAL_FORMS is a form error. With validate_max, more
    rows than max_num are a form error too (Django's message, or the formset's too_many_forms)."""

    validate_max = True

    def get_formset(self, request, obj=None, **kwargs):
        max_num = self.get_max_num(request, obj, **kwargs)
        if max_num:
            kwargs.setdefault("absolute_max", 2 * max_num)
            kwargs.setdefault("validate_max", self.validate_max)
        else:
            kwargs.setdefault("absolute_max", ADMIN_INLINE_ABSOLUTE_MAX)
            if max_num is None:
                kwargs.setdefault("max_num", ADMIN_INLINE_ABSOLUTE_MAX)
        return super().get_formset(request, obj, **kwargs)


class CompetenceInline(BoundedInlineMixin, admin.TabularInline):
    model = Competence
    formset = CompetenceFormSet
    fields = ["rank", "sector"]
    autocomplete_fields = ["sector"]
    ordering = ["rank", "id"]
    max_num = MAX_COMPETENCES
    validate_max = False  # CompetenceFormSet counts the rows kept itself, saying how many to remove
    extra = 1

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("sector")


class ExperienceInline(BoundedInlineMixin, admin.TabularInline):
    """A compact, read-only list; each row links to the full experience page (fundings, countries)."""

    model = Experience
    fields = ["title", "role", "start_date", "end_date", "cost"]
    readonly_fields = fields
    show_change_link = True
    can_delete = False
    extra = 0

    def has_add_permission(self, request, obj=None):
        # Experiences are added on their own page, where countries and fundings can be given too.
        return False


@admin.register(Organisation)
class OrganisationAdmin(StaleEditAdminMixin, SimpleHistoryAdmin, TranslationAdmin):
    form = VersionedAdminForm
    # Narrow columns so that "published" and "completeness" fit beside the filters at 1366 px: the
    # acronym is searchable and shown with the name, the last update as a short date.
    list_display = [
        "name_and_acronym",
        "country",
        "kind",
        "experience_count",
        "updated_date",
        "published",
        "completeness_column",
    ]
    list_filter = [
        ("country", CountryFilter),
        "kind",
        CompetenceCategoryFilter,
        "published",
        NotUpdatedFilter,
        MissingLanguageFilter,
        WithdrawnCodeFilter,
    ]
    search_fields = ["name_fr", "name_en", "acronym", "city", "slug"]
    readonly_fields = ["completeness_detail", "version", "created", "updated"]
    actions = ["publish", "unpublish"]
    fieldsets = [
        (None, {"fields": ["name", "acronym", "kind", "published", "seen_version"]}),
        (_("Address"), {"fields": ["street", "zip_code", "city", "country"]}),
        (_("Contact"), {"fields": ["website", "email", "telephone", "fax"]}),
        (_("General description"), {"fields": ["description"]}),
        (_("Open data"), {"fields": ["iati_identifier"]}),
        (_("Record"), {"fields": ["completeness_detail", "slug", "version", "created", "updated"]}),
    ]
    # partners/admin.py adds who may edit the organisation (partner access) between the two.
    inlines = [CompetenceInline, ExperienceInline]

    def get_queryset(self, request):
        return with_counts(super().get_queryset(request))

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import": request.user.has_perms(ImportRun.PERMISSIONS)}
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("experiences"), ordering="n_experiences")
    def experience_count(self, obj):
        return obj.n_experiences

    @admin.display(description=_("organisation"), ordering="name")
    def name_and_acronym(self, obj):
        return f"{obj.name} ({obj.acronym})" if obj.acronym else obj.name

    @admin.display(description=_("last updated"), ordering="updated")
    def updated_date(self, obj):
        return short_date(obj.updated)

    @admin.display(description=_("completeness"))
    def completeness_column(self, obj):
        filled, total, missing = completeness(obj)
        if not missing:
            return f"{filled}/{total}"
        title = _("Empty: %(fields)s") % {"fields": ", ".join(str(m) for m in missing)}
        return format_html('<span title="{}">{}/{}</span>', title, filled, total)

    @admin.display(description=_("completeness"))
    def completeness_detail(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        filled, total, missing = completeness(obj)
        if not missing:
            return _("%(filled)d/%(total)d: every field of the profile page is filled in.") % {
                "filled": filled,
                "total": total,
            }
        return _("%(filled)d/%(total)d; empty: %(fields)s") % {
            "filled": filled,
            "total": total,
            "fields": ", ".join(str(m) for m in missing),
        }

    # Bulk actions save each organisation (not queryset.update) so history keeps a version of each.

    @admin.action(description=_("Publish the selected organisations"), permissions=["change"])
    def publish(self, request, queryset):
        self._set_published(request, queryset, True)

    @admin.action(description=_("Unpublish the selected organisations"), permissions=["change"])
    def unpublish(self, request, queryset):
        self._set_published(request, queryset, False)

    def _set_published(self, request, queryset, published):
        to_change = list(queryset.filter(published=not published))
        for org in to_change:
            org.published = published
            org._change_reason = str(_("published by staff") if published else _("unpublished by staff"))
            org.save()
        unchanged = queryset.count() - len(to_change)
        if published:
            message = ngettext(
                "%(count)d organisation published.", "%(count)d organisations published.", len(to_change)
            )
            already = ngettext("%(count)d was already published.", "%(count)d were already published.", unchanged)
        else:
            message = ngettext(
                "%(count)d organisation unpublished.", "%(count)d organisations unpublished.", len(to_change)
            )
            already = ngettext("%(count)d was already unpublished.", "%(count)d were already unpublished.", unchanged)
        message %= {"count": len(to_change)}
        if unchanged:
            message += " " + already % {"count": unchanged}
        self.message_user(request, message, messages.SUCCESS)

    def save_model(self, request, obj, form, change):
        if change:
            # Reverting to an old version from history must still make a newer version number, so a form
            # opened before the revert is refused by the optimistic lock.
            current = Organisation.objects.filter(pk=obj.pk).values_list("version", flat=True).first()
            obj.version = max(obj.version, current or 0)
        super().save_model(request, obj, form, change)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "slug":
            formfield.help_text = _(
                "Left empty, it is made from the acronym (or the name). Changing it breaks links to the profile."
            )
        return formfield

    def view_on_site(self, obj):
        # The public profile page may not be wired up (or may be renamed); the admin must still work.
        try:
            return obj.get_absolute_url()
        except NoReverseMatch:
            return None


def _is_autocomplete(request):
    """True when the admin's autocomplete view asks for choices to put in a form field."""
    match = getattr(request, "resolver_match", None)
    return (match is not None and match.url_name == "autocomplete") or request.path.endswith("/autocomplete/")


class ActiveForNewInputMixin:
    """Withdrawn codes stay listed on their own changelist (old records use them) but are not offered by
    autocomplete widgets, so they cannot be chosen for new input."""

    def get_search_results(self, request, queryset, search_term):
        if _is_autocomplete(request):
            queryset = queryset.active()
        return super().get_search_results(request, queryset, search_term)


@admin.register(SectorCategory)
class SectorCategoryAdmin(ActiveForNewInputMixin, TranslationAdmin):
    list_display = ["code", "name", "withdrawn", "sector_count"]
    list_filter = ["withdrawn"]
    search_fields = ["code", "name_fr", "name_en"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_sectors=Count("sectors"))

    @admin.display(description=_("sectors"), ordering="n_sectors")
    def sector_count(self, obj):
        return obj.n_sectors


@admin.register(Sector)
class SectorAdmin(ActiveForNewInputMixin, TranslationAdmin):
    list_display = ["code", "name", "category", "withdrawn"]
    list_filter = ["withdrawn", "category"]
    list_select_related = ["category"]
    search_fields = ["code", "name_fr", "name_en"]
    autocomplete_fields = ["category"]


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV (UTF-8, comma or semicolon separated) or Excel (.xlsx), header row first: the columns described "
            "in the README, as in fixtures/import_template.csv. At most 5 MB."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Choose a .csv or .xlsx file."))
        if upload.size > ImportRun.MAX_BYTES:
            raise forms.ValidationError(
                _("This file is %(size)s; at most %(max)s can be imported at once, split the file.")
                % {"size": filesizeformat(upload.size), "max": filesizeformat(ImportRun.MAX_BYTES)}
            )
        return upload


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    """Import from a file: upload (the add page), see the dry run, confirm (the run's own page). The background
    worker checks and imports (institutions/tasks.py); the run's page follows its progress."""

    SHOWN = 1000  # lines of a report shown on the run's page
    list_display = ["file_name", "created", "uploaded_by", "status", "rows_total"]
    list_select_related = ["uploaded_by"]
    list_filter = ["status"]
    date_hierarchy = "created"

    def has_add_permission(self, request):
        return request.user.has_perms(ImportRun.PERMISSIONS)

    def has_change_permission(self, request, obj=None):
        return request.user.has_perms(ImportRun.PERMISSIONS)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perms(ImportRun.PERMISSIONS)

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImportUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            run = ImportRun.objects.create(
                file_name=upload.name,
                content=upload.read(),
                language=translation.get_language(),
                uploaded_by=request.user,
            )
            check_import.enqueue(run.pk)
            return HttpResponseRedirect(reverse("admin:institutions_importrun_change", args=[run.pk]))
        return self._render(request, "admin/institutions/importrun/upload.html", form=form, title=_("Import a file"))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        run = self.get_object(request, object_id)
        if run is None:
            raise Http404
        if not self.has_view_permission(request, run):
            raise PermissionDenied
        if request.method == "POST":
            if "confirm" in request.POST and self.has_change_permission(request, run):
                # Only one confirmation starts the import, even when the button is pressed twice.
                if ImportRun.objects.filter(pk=run.pk, status=ImportRun.Status.CHECKED).update(
                    status=ImportRun.Status.IMPORTING
                ):
                    apply_import.enqueue(run.pk)
            return HttpResponseRedirect(request.path)
        report = run.imported or run.checked
        shown = {}
        if report:
            shown["summary"] = Report(**report).summary()
            for key in ("errors", "lines"):  # a long file's report is cut, its counts are not
                shown[key], shown[f"{key}_left"] = report[key][: self.SHOWN], max(0, len(report[key]) - self.SHOWN)
        return self._render(
            request,
            "admin/institutions/importrun/run.html",
            run=run,
            report=report,
            can_confirm=self.has_change_permission(request, run),
            title=_("Import of %(file)s") % {"file": run.file_name},
            **shown,
        )

    def get_urls(self):
        template = path(
            "template/", self.admin_site.admin_view(self.template_view), name="institutions_importrun_template"
        )
        return [template, *super().get_urls()]

    def template_view(self, request):
        """The filled-in example file, to start from."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        return FileResponse(
            open(settings.BASE_DIR / "fixtures" / "import_template.csv", "rb"),
            as_attachment=True,
            filename="import_template.csv",
            content_type="text/csv; charset=utf-8",
        )

    def _render(self, request, template, **context):
        context = {**self.admin_site.each_context(request), "opts": self.opts, **context}
        return TemplateResponse(request, template, context)
