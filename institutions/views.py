from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from .models import Organisation


def search(request):
    organisations = Organisation.objects.published().order_by("name")
    page = Paginator(organisations, 20).get_page(request.GET.get("page"))
    return render(request, "directory/search.html", {"page": page})


def profile(request, slug):
    organisation = get_object_or_404(Organisation.objects.published(), slug=slug)
    return render(request, "directory/profile.html", {"organisation": organisation})
