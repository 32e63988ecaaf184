"""What a run gives providers and tasks: where to cache, and the registry to build other providers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from embbench.config import Spec
    from embbench.contract.provider import Provider
    from embbench.plugins import Registry


@dataclass
class Context:
    """What the runner gives providers and tasks: where to cache, and the registry to build other providers."""

    cache_dir: Path
    registry: Registry | None = None
    share_embeddings: Callable[[Spec, Provider], Provider] | None = None
    """Set by the runner when the embedding cache is on: puts a fitted provider behind it (see ``make_provider``)."""

    def make_provider(self, value: str | dict[str, Any] | Spec, *, shared_embeddings: bool = False) -> Provider:
        """Build (and fit) another provider from a spec such as ``"glove:source=glove-6b-50d"`` (or a table, as
        a base option holds one). With ``shared_embeddings``, its text embeddings come from (and go to) the run's
        embedding cache, where that provider run on its own keeps them: a transform of a sentence encoder reuses
        what the encoder embedded."""
        from embbench.config import as_spec

        if self.registry is None:
            raise RuntimeError("this context has no registry to build providers from")
        spec = as_spec(value, "base")
        provider = self.registry.make_provider(spec)
        provider.fit(self)
        if shared_embeddings and self.share_embeddings is not None:
            return self.share_embeddings(spec, provider)
        return provider

    def provider_inputs(self, value: str | dict[str, Any] | Spec) -> dict[str, str]:
        """The identity of another provider (a base) without fitting it: its class version and its input
        fingerprints, so what depends on it is redone when what it computes changes."""
        from embbench.config import as_spec

        if self.registry is None:
            raise RuntimeError("this context has no registry to build providers from")
        provider = self.registry.make_provider(as_spec(value, "base"))
        return {"version": f"{provider.name} {type(provider).version}", **provider.inputs(self)}

    def fingerprint(self, path: Path) -> str:
        """Content sha256 of a file or folder, remembered by (path, size, mtime, inode) in the cache."""
        from embbench._util.hashing import fingerprint

        return fingerprint(path, self.cache_dir / "fingerprints")
