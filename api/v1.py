"""The read-only JSON API, version 1: JSON only, paginated, in both languages, cached by clients through
ETag/Last-Modified from the directory generation, throttled per client address."""

import hashlib

from django import forms
from django.conf import settings
from django.db.models import CharField, OuterRef, Prefetch, StringAgg, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.decorators import method_decorator
from django.utils.translation import gettext
from django.views.decorators.http import condition
from django_countries import countries
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics
from rest_framework.decorators import api_view, renderer_classes
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.throttling import AnonRateThrottle

from directory.criteria import (
    CRITERION_FACETS,
    PARTNER_FACET_LIMIT,
    OrganisationFilter,
    PartnerValues,
    experience_count,
)
from directory.views import expanded_facets, organisation_search
from experiences.models import Donor, Experience, ExperienceCountry, Funding
from institutions.cache import changed_at, generation
from institutions.models import Competence, Organisation, Sector, SectorCategory

from . import serializers
from . import views as opendata

LANGUAGES = [code for code, _name in settings.LANGUAGES]
MAX_PAGE = 1_000_000  # a larger page number is not a page but an error: 400


def _number(request, name, default, maximum):
    """A positive integer parameter up to `maximum`: anything else answers 400, so a typo is not silently
    taken for the default."""
    value = request.query_params.get(name)
    if value is None:
        return default
    if not (value.isascii() and value.isdigit() and len(value) <= 9 and 1 <= int(value) <= maximum):
        raise ValidationError({name: gettext("An integer from 1 to %(maximum)d.") % {"maximum": maximum}})
    return int(value)


class Pagination(PageNumberPagination):
    """?page=N&page_size=M (at most 100), with `next` and `previous` links; out-of-range numbers answer 400,
    a page after the last one 404."""

    page_size = 20
    max_page_size = 100
    page_size_query_param = "page_size"

    def get_page_size(self, request):
        return _number(request, self.page_size_query_param, self.page_size, self.max_page_size)

    def get_page_number(self, request, paginator):
        return _number(request, self.page_query_param, 1, MAX_PAGE)

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.page_query_param,
                "in": "query",
                "required": False,
                "description": "A page number (1 is the first).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
            },
            {
                "name": self.page_size_query_param,
                "in": "query",
                "required": False,
                "description": f"Results per page ({self.page_size} by default).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]


FACET_ITEM = {
    "type": "object",
    "properties": {
        "value": {"description": "The criterion's value (a code, or a donor's id)."},
        "label": {"type": "string"},
        "count": {"type": "integer", "description": "Organisations the search would give with this value."},
        "selected": {"type": "boolean"},
    },
}


class OrganisationPagination(Pagination):
    """The organisations' pages also carry the search page's facet counts."""

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["facets"] = {
            "type": "object",
            "description": "For each facet, its values with the number of organisations each would give, the "
            "other criteria unchanged, as on the search page: a long facet lists its most frequent values and the "
            "chosen ones unless `more` names it; `partner_of` (Worked with) lists its 10 most frequent values "
            f"and the chosen ones, and is counted only when at most {PARTNER_FACET_LIMIT:,} organisations meet "
            "the other criteria (beyond, only its chosen values are).",
            "additionalProperties": {"type": "array", "items": FACET_ITEM},
        }
        schema["properties"]["facet_notes"] = {
            "type": "object",
            "description": "For `partner_of` (Worked with), which lists only its most frequent values and the "
            "chosen ones: how many other values it counted (`not_listed`), and whether it counted them at all "
            "(`counted`: false when too many organisations meet the other criteria; then only the chosen values "
            "are counted).",
            "additionalProperties": {
                "type": "object",
                "properties": {"not_listed": {"type": "integer"}, "counted": {"type": "boolean"}},
                "required": ["not_listed", "counted"],
            },
        }
        schema["properties"]["iati"] = {
            "type": "string",
            "format": "uri",
            "description": "The experiences of every organisation this search matches, as IATI 2.03 activities "
            "(XML), in the language asked.",
        }
        return schema


class PerAddressThrottle(AnonRateThrottle):
    """API_THROTTLE_RATE requests per client address (settings, read at each request)."""

    def get_rate(self):
        return settings.API_THROTTLE_RATE


def _language(request):
    """?lang=fr|en, else the language LocaleMiddleware took from Accept-Language."""
    if "lang" in request.GET:
        return request.GET["lang"]
    return translation.get_language() or settings.LANGUAGE_CODE


def _etag(request, *args, **kwargs):
    raw = f"{generation()}|{_language(request)}|{request.get_full_path()}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def _last_modified(request, *args, **kwargs):
    return changed_at()


LANG_PARAMETER = OpenApiParameter(
    "lang",
    OpenApiTypes.STR,
    enum=LANGUAGES,
    description="Language of `name`, `title`… (the other language stays in `name_fr`/`name_en`…). "
    "Without it, the Accept-Language header decides.",
)


@method_decorator(condition(etag_func=_etag, last_modified_func=_last_modified), name="dispatch")
class DirectoryView(generics.GenericAPIView):
    """What every endpoint shares: read only, parameters checked, the language chosen."""

    throttle_classes = [PerAddressThrottle]
    pagination_class = Pagination

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        for name, values in request.query_params.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                raise ValidationError({name.replace("\x00", ""): gettext("NUL characters are not allowed.")})
        language = _language(request)
        if language not in LANGUAGES:
            raise ValidationError({"lang": gettext("One of: %(values)s.") % {"values": ", ".join(LANGUAGES)}})
        translation.activate(language)
        request.LANGUAGE_CODE = language

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Content-Language"] = translation.get_language()
        if request.method in ("GET", "HEAD") and response.status_code in (200, 304):
            patch_cache_control(
                response,
                public=True,
                max_age=settings.PUBLIC_MAX_AGE,
                stale_while_revalidate=settings.PUBLIC_STALE_WHILE_REVALIDATE,
            )
        return response


class ListView(DirectoryView, generics.ListAPIView):
    pass


def _criteria_parameters():
    """The search page's criteria, from its filter's own definition (repeatable ones as arrays)."""
    parameters = []
    for name, field in OrganisationFilter.base_filters.items():
        many = getattr(field.field_class.widget, "allow_multiple_selected", False)
        with translation.override("en"):
            description = f"As on the search page: {field.label}."
        if issubclass(field.field_class, forms.IntegerField):
            bounds = {"minimum": field.extra.get("min_value"), "maximum": field.extra.get("max_value")}
            kind = {"type": "integer", **{key: value for key, value in bounds.items() if value is not None}}
        elif getattr(field, "extra", {}).get("choices"):
            kind = {"type": "string", "enum": [value for value, _label in field.extra["choices"]]}
        else:
            kind = OpenApiTypes.STR
        parameters.append(OpenApiParameter(name, kind, many=many, description=description))
    return parameters


MORE_PARAMETER = OpenApiParameter(
    "more",
    OpenApiTypes.STR,
    enum=list(CRITERION_FACETS),
    many=True,
    description="Criteria whose facet lists every value (by default a long facet lists its most frequent "
    "values and the chosen ones, as on the search page). `partner_of` ignores it: it always lists its 10 most "
    "frequent values and the chosen ones.",
)


def competence_codes():
    """An organisation's competences in one string of "rank:code" pairs, so that the list's rows come with
    their competences in one query (SQLite before 3.44 cannot order inside an aggregate: the serializer sorts)."""
    pairs = Concat(Cast("rank", CharField()), Value(":"), "sector__code", output_field=CharField())
    codes = Competence.objects.filter(organisation=OuterRef("pk")).order_by().values("organisation")
    return Subquery(codes.annotate(codes=StringAgg(pairs, Value(" "))).values("codes"))


@extend_schema_view(get=extend_schema(parameters=[LANG_PARAMETER, MORE_PARAMETER, *_criteria_parameters()]))
class OrganisationList(ListView):
    """Published organisations matching the search page's criteria, in its order."""

    serializer_class = serializers.OrganisationSerializer
    pagination_class = OrganisationPagination

    def list(self, request, *args, **kwargs):
        filterset = organisation_search(request)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        if set(request.query_params.getlist("more")) - CRITERION_FACETS.keys():
            raise ValidationError({"more": gettext("One of: %(values)s.") % {"values": ", ".join(CRITERION_FACETS)}})
        # The search page's own ids, in its order: the API lists exactly what the page lists; one query then
        # reads the page's rows.
        ids = self.paginate_queryset(filterset.result_ids())
        rows = Organisation.objects.annotate(experience_count=experience_count(), competence_codes=competence_codes())
        rows = rows.in_bulk(ids)
        organisations = [rows[pk] for pk in ids if pk in rows]
        response = self.get_paginated_response(self.get_serializer(organisations, many=True).data)
        # As on the page: a long facet lists its most frequent values and the chosen ones, unless `more` names it.
        facets = filterset.facets(expanded_facets(request))
        response.data["facets"] = facets
        response.data["facet_notes"] = {
            name: {"not_listed": values.omitted, "counted": not values.uncounted}
            for name, values in facets.items()
            if isinstance(values, PartnerValues)
        }
        query = filterset.querystring()
        iati = reverse("opendata:iati_export") + (f"?{query}" if query else "")
        response.data["iati"] = request.build_absolute_uri(iati)
        return response


EXPERIENCES = Experience.objects.order_by("-start_date", "id").prefetch_related(
    Prefetch("sectors", queryset=Sector.objects.only("code").order_by("code")),
    Prefetch("countries", queryset=ExperienceCountry.objects.order_by("id")),
    Prefetch("fundings", queryset=Funding.objects.select_related("donor").order_by("id")),
)


@extend_schema_view(get=extend_schema(parameters=[LANG_PARAMETER]))
class OrganisationDetail(DirectoryView, generics.RetrieveAPIView):
    """One published organisation: its profile, competences and experiences."""

    serializer_class = serializers.OrganisationDetailSerializer
    lookup_field = "slug"

    def get_queryset(self):
        competences = Competence.objects.select_related("sector").order_by("rank", "id")
        return (
            Organisation.objects.published()
            .annotate(experience_count=experience_count())
            .prefetch_related(Prefetch("competences", queryset=competences), Prefetch("experiences", EXPERIENCES))
        )


@extend_schema_view(get=extend_schema(parameters=[LANG_PARAMETER]))
class OrganisationExperiences(ListView):
    """The experiences of one published organisation, newest first."""

    serializer_class = serializers.ExperienceSerializer

    def get_queryset(self):
        organisation = get_object_or_404(Organisation.objects.published().only("pk"), slug=self.kwargs["slug"])
        return EXPERIENCES.filter(organisation=organisation)


@extend_schema_view(get=extend_schema(parameters=[LANG_PARAMETER]))
class SectorList(ListView):
    """OECD DAC/CRS 5-digit purpose codes, withdrawn ones included (old records use them)."""

    serializer_class = serializers.SectorSerializer
    queryset = Sector.objects.select_related("category").order_by("code")


@extend_schema_view(get=extend_schema(parameters=[LANG_PARAMETER]))
class SectorCategoryList(ListView):
    """OECD DAC 3-digit sector categories."""

    serializer_class = serializers.SectorCategorySerializer
    queryset = SectorCategory.objects.order_by("code")


@extend_schema_view(get=extend_schema(parameters=[LANG_PARAMETER]))
class DonorList(ListView):
    """Who funds the actions."""

    serializer_class = serializers.DonorSerializer
    queryset = Donor.objects.order_by("acronym", "name", "id")


@extend_schema_view(get=extend_schema(parameters=[LANG_PARAMETER]))
class CountryList(ListView):
    """The countries the directory uses: of published organisations or of their experiences, by code."""

    serializer_class = serializers.CountrySerializer

    def get_queryset(self):
        published = Organisation.objects.published()
        codes = set(published.values_list("country", flat=True).distinct())
        codes |= set(
            ExperienceCountry.objects.filter(experience__organisation__in=published)
            .values_list("country", flat=True)
            .distinct()
        )
        return [_country(code) for code in sorted(codes)]


IATI_RESPONSE = OpenApiResponse(
    OpenApiTypes.STR,
    description="An IATI 2.03 `iati-activities` document: one `iati-activity` per experience, with its texts in "
    "the language asked and the other (`narrative` elements); valid against the IATI 2.03 XSD.",
)


class XMLView(DirectoryView):
    """Answers an XML file of its own (a Django response), whatever the Accept header asks; its errors in
    JSON, as the other endpoints' (the API's one renderer: asking for XML must not answer 406)."""

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)


@extend_schema_view(
    get=extend_schema(parameters=[LANG_PARAMETER], responses={(200, "application/xml"): IATI_RESPONSE})
)
class OrganisationIati(XMLView):
    """The experiences of one published organisation as IATI 2.03 activities (XML), newest first: the same
    file as its profile's IATI link."""

    def get(self, request, slug):
        return opendata.organisation_document(get_object_or_404(Organisation.objects.published(), slug=slug))


@extend_schema_view(
    get=extend_schema(
        description="The experiences of the organisations the search page's criteria match, as IATI 2.03 "
        f"activities (XML), streamed: the same file as the search page's IATI link. A search matching more than "
        f"{opendata.IATI_EXPORT_LIMIT:,} activities answers 400: narrow it.",
        parameters=[LANG_PARAMETER, *_criteria_parameters()],
        responses={(200, "application/xml"): IATI_RESPONSE},
    )
)
class SearchIati(XMLView):
    """The search's experiences as one IATI file (api/views.py makes it, as for the search page)."""

    def get(self, request):
        filterset = organisation_search(request)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        experiences = opendata.search_experiences(filterset.qs)
        if message := opendata.too_many(experiences):
            raise ValidationError({"detail": message})
        return opendata.search_document(experiences)


@extend_schema(exclude=True)
@api_view(["GET"])
@renderer_classes([JSONRenderer])
def not_found(request, *args, **kwargs):
    """Any other address under /api/: a JSON 404, like the endpoints' own."""
    raise NotFound()


def _country(code):
    names = {}
    for language in LANGUAGES:
        with translation.override(language):
            names[language] = str(countries.name(code)) or code
    return {"code": code, "name": str(countries.name(code)) or code, **{f"name_{k}": v for k, v in names.items()}}
