from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render

from experiences.models import Experience, Funding

from .models import Competence, Organisation
from .templatetags.platforma import translated_field


def search(request):
    organisations = Organisation.objects.published().order_by("name")
    page = Paginator(organisations, 20).get_page(request.GET.get("page"))
    return render(request, "directory/search.html", {"page": page})


def _published_profile(slug):
    """One published organisation with everything its profile shows, in a fixed number of queries
    however many experiences it has (the prefetches guard against N+1)."""
    experiences = Experience.objects.order_by("-start_date", "id").prefetch_related(
        "sectors",
        "countries",
        Prefetch("fundings", queryset=Funding.objects.select_related("donor").order_by("id")),
    )
    organisations = Organisation.objects.published().prefetch_related(
        Prefetch("competences", queryset=Competence.objects.select_related("sector").order_by("rank", "id")),
        Prefetch("experiences", queryset=experiences),
    )
    return get_object_or_404(organisations, slug=slug)


def _jsonld(request, organisation):
    """schema.org Organization: what search engines read about this profile."""
    data = {
        "@context": "https://schema.org",
        "@type": "Organization",
        "@id": request.build_absolute_uri(organisation.get_absolute_url()),
        "url": request.build_absolute_uri(organisation.get_absolute_url()),
        "name": translated_field(organisation, "name").text,
        "address": {
            "@type": "PostalAddress",
            "streetAddress": organisation.street,
            "postalCode": organisation.zip_code,
            "addressLocality": organisation.city,
            "addressCountry": organisation.country.code,
        },
    }
    optional = {
        "alternateName": organisation.acronym,
        "description": translated_field(organisation, "description").text,
        "email": organisation.email,
        "telephone": organisation.telephone,
        "faxNumber": organisation.fax,
        "sameAs": organisation.website,
        "knowsAbout": [c.sector.name for c in organisation.competences.all()],
    }
    data.update({key: value for key, value in optional.items() if value})
    return data


def _profile_context(request, slug):
    organisation = _published_profile(slug)
    return {"organisation": organisation, "jsonld": _jsonld(request, organisation)}


def profile(request, slug):
    return render(request, "directory/profile.html", _profile_context(request, slug))


def profile_print(request, slug):
    return render(request, "directory/profile_print.html", _profile_context(request, slug))
