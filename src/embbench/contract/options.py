"""Options and what providers and tasks share: a name, a version, validated options, where they were registered."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, get_args, get_origin

from pydantic import BaseModel, ConfigDict, model_validator

if TYPE_CHECKING:
    from embbench.plugins import PluginInfo


class Options(BaseModel):
    """Base of every provider and task configuration: frozen (hashable, cacheable), unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)
    embedding_only: ClassVar[frozenset[str]] = frozenset()
    """Options that change how a fitted model embeds, not the fit itself: left out of the fit cache's key."""

    def fit_options(self) -> dict[str, Any]:
        """The options that decide what a fit learns (all but ``embedding_only``), as JSON values."""
        return self.model_dump(mode="json", exclude=set(self.embedding_only))

    @model_validator(mode="before")
    @classmethod
    def _split_lists(cls, values: Any) -> Any:
        """A string given for a tuple/list option is split at commas (``methods=[3cosadd,3cosmul]``)."""
        if not isinstance(values, dict):
            return values
        return {
            key: [item.strip() for item in value.split(",") if item.strip()]
            if isinstance(value, str)
            and key in cls.model_fields
            and get_origin(cls.model_fields[key].annotation) in (tuple, list)
            else value
            for key, value in values.items()
        }


OptionsT = TypeVar("OptionsT", bound=Options)


class Configured(Generic[OptionsT]):
    """What providers and tasks share: a name, a version, validated options, and where they were registered.

    The options type is the class's generic parameter (``class Glove(Provider[GloveOptions])``), available as
    ``Options``. Bump ``version`` whenever what the class computes changes: records made by an older version are
    redone.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    version: ClassVar[int] = 1
    Options: ClassVar[type[Options]] = Options
    """Derived from the generic parameter; a class whose parameter is still a type variable names it instead."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for base in cls.__dict__.get("__orig_bases__", ()):
            declared = next(iter(get_args(base)), None) if get_origin(base) is not None else None
            if isinstance(declared, type) and issubclass(declared, Options):
                named = cls.__dict__.get("Options")
                if named is not None and named is not declared:
                    raise TypeError(f"{cls.__qualname__}: Options is {named.__name__} but the generic parameter is"
                                    f" {declared.__name__}; give the options type once, as the parameter")  # fmt: skip
                cls.Options = declared

    def __init__(
        self, options: OptionsT | None = None, *, registered_name: str = "", plugin: PluginInfo | None = None,
        **kwargs: Any,
    ) -> None:  # fmt: skip
        self.options: OptionsT = options if options is not None else self.Options(**kwargs)  # type: ignore[assignment]
        self.registered_name = registered_name or self.name
        self.plugin = plugin
