"""Template helpers shared by every page."""

from django import template
from django.urls import translate_url

register = template.Library()


@register.simple_tag(takes_context=True)
def url_in_language(context, lang_code):
    """This page (path and query string) in another language, for the language switch and hreflang."""
    request = context.get("request")
    if request is None:
        return f"/{lang_code}/"
    return translate_url(request.get_full_path(), lang_code)


@register.simple_tag(takes_context=True)
def absolute_url_in_language(context, lang_code):
    request = context["request"]
    return request.build_absolute_uri(translate_url(request.get_full_path(), lang_code))
