from django import template
from django.conf import settings

from directory import export_files

register = template.Library()


@register.inclusion_tag("directory/_export_notice.html")
def export_notice(count, has_criteria):
    """What the search page's downloads will be: made now, the whole directory's files (and of when),
    or too large to make now (directory/exports.py decides the same way)."""
    build = None if has_criteria else export_files.current()
    limit = settings.EXPORT_STREAM_LIMIT
    from_file = build is not None and (build.fresh or count > limit)
    return {"count": count, "limit": limit, "build": build if from_file else None, "too_large": count > limit}
