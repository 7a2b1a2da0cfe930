"""templates/django/forms/widgets/select.html writes a select's options itself instead of including Django's
option template for each: the markup must stay exactly Django's, selected values, groups and attributes too."""

from pathlib import Path

import pytest
from django import forms
from django.conf import settings
from django.forms.renderers import DjangoTemplates, TemplatesSetting
from django_countries import countries


class Sample(forms.Form):
    grouped = forms.MultipleChoiceField(
        choices=[("x", "X <b>"), ("y", "Y"), ("Group", [("1", "one"), ("2", "two")])],
        widget=forms.SelectMultiple(attrs={"size": 8, "disabled": True}),
    )
    country = forms.ChoiceField(choices=[("", "---"), *countries], required=False)


def test_the_sites_forms_use_the_projects_select_template():
    template = forms.Form().renderer.get_template("django/forms/widgets/select.html")
    assert Path(template.origin.name) == Path(settings.BASE_DIR) / "templates/django/forms/widgets/select.html"


@pytest.mark.parametrize("data", [{"grouped": ["x", "2"], "country": "FR"}, {"grouped": ["nothing"]}, None])
def test_selects_render_exactly_as_djangos_own_template(data):
    ours = Sample(data, renderer=TemplatesSetting()).as_div()
    assert ours == Sample(data, renderer=DjangoTemplates()).as_div()
    assert "X &lt;b&gt;</option>" in ours  # labels escaped
