from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from institutions.models import Organisation


@login_required
def home(request):
    organisations = Organisation.objects.filter(memberships__user=request.user).order_by("name")
    return render(request, "partners/home.html", {"organisations": organisations})
