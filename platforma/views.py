from django.http import HttpResponse


def bare(request):
    """The framework's ceiling for `make bench`: every middleware, no work. Routed only when
    settings.BENCHMARK_VIEW is on (env BENCHMARK=1), never in production."""
    return HttpResponse("ok", content_type="text/plain")
