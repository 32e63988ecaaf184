"""The layout of Bolukbasi et al.'s gender word lists, read by the direct-bias task and the debias transform."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field


class GenderLists(BaseModel):
    """Bolukbasi et al.'s lists: definitional pairs, gender-specific words, and professions (a word, or a list
    whose first item is the word, as in the original ``professions.json``)."""

    model_config = ConfigDict(extra="ignore")
    definitional_pairs: list[tuple[str, str]]
    specific_full: list[str] = []
    equalize_pairs: list[tuple[str, str]] = []
    professions: list[str | Annotated[list[Any], Field(min_length=1)]]

    def profession_words(self) -> list[str]:
        return [p if isinstance(p, str) else str(p[0]) for p in self.professions]


class BiasFile(BaseModel):
    """The direct-bias JSON layout: ``{"gender": {...}}``."""

    model_config = ConfigDict(extra="ignore")
    gender: GenderLists
