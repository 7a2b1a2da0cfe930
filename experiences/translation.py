"""Translated content fields (FR/EN), then history (registered after translation; see institutions)."""

import simple_history
from modeltranslation.translator import TranslationOptions, register

from .models import Donor, Experience, ExperienceCountry, Funding, Participant


@register(Donor)
class DonorTranslation(TranslationOptions):
    fields = ("name",)


@register(Experience)
class ExperienceTranslation(TranslationOptions):
    fields = ("title", "objectives", "results")


simple_history.register(Donor)
simple_history.register(Experience, m2m_fields=["sectors"])
simple_history.register(ExperienceCountry)
simple_history.register(Funding)
simple_history.register(Participant)
