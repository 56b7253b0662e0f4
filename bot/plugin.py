"""What a platform declares about itself: one ``Plugin`` in its package's ``__init__.py``.

``bot/platforms/<name>/__init__.py`` holds data only (names and dotted paths): importing it
imports no SDK, so the core and the command line can read every platform's declaration, and an
adapter (with its SDK) is imported only when its section is in the config. The registry,
``bot.platforms.PLUGINS``, lists the packages, one line each; everything that lists platforms
(config sections, display names, demos, the extras named in a missing-extra message,
import-linter's SDK list) is derived from it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Plugin:
    name: str
    """The config section's key, ``--platform``'s value and the name in the store."""
    display_name: str
    """As a sentence names it: "Rocket.Chat"."""
    factory: str
    """``module:attribute`` of the adapter class (called with the config section, which it
    validates); imported only when the platform is enabled."""
    settings_model: str
    """``module:attribute`` of the pydantic model the factory validates the section with."""
    demo: str
    """The module with ``run_demo`` for ``kickbot demo --platform <name>``."""
    extra: str
    """The pip extra (pyproject.toml's optional-dependencies) that brings the SDK."""
    sdk_modules: tuple[str, ...]
    """Top-level modules of the SDK and clients the adapter imports: the core may import none
    of them (pyproject.toml's import-linter contract lists their union)."""
    section_description: str | None = None
    """What the config section holds, if more than "<display name>'s settings"."""
    rank_order: str | None = None
    """What the platform ranks owners by, as a sentence names it after the display name
    ("power levels"), if it grades them (``SupportsRank``)."""
    working_hours_advice: str | None = None
    """The vendor's own advice on large changes within working hours, as a clause."""
    ib_groups: bool = False
    """Whether the platform has Information Barrier groups (``SupportsIbGroups``)."""

    def __post_init__(self) -> None:
        for path in (self.factory, self.settings_model):
            module, _, attribute = path.partition(":")
            if not module or not attribute:
                raise ValueError(f"{self.name}: {path!r} is not module:attribute")


def declare(
    package: str,
    display_name: str,
    factory: str,
    settings_model: str,
    sdk_modules: tuple[str, ...],
    section_description: str | None = None,
    *,
    rank_order: str | None = None,
    working_hours_advice: str | None = None,
    ib_groups: bool = False,
) -> Plugin:
    """The ``Plugin`` of the package named ``package`` (its ``__name__``), by the layout every
    platform follows: the name is the package's last part, and so is the pip extra; the demo is
    ``bot.testing.<name>.demo``; a path starting with ``.`` (``.adapter:SlackPlatform``) is inside
    the package."""
    name = package.rpartition(".")[2]

    def resolve(path: str) -> str:
        return package + path if path.startswith(".") else path

    return Plugin(
        name=name,
        display_name=display_name,
        factory=resolve(factory),
        settings_model=resolve(settings_model),
        demo=f"bot.testing.{name}.demo",
        extra=name,
        sdk_modules=sdk_modules,
        section_description=section_description,
        rank_order=rank_order,
        working_hours_advice=working_hours_advice,
        ib_groups=ib_groups,
    )


class Registry:
    """The platforms, in the order they are listed (and shown)."""

    def __init__(self, *plugins: Plugin) -> None:
        self._by_name: dict[str, Plugin] = {}
        for plugin in plugins:
            if plugin.name in self._by_name:
                raise ValueError(f"platform {plugin.name!r} is registered twice")
            self._by_name[plugin.name] = plugin

    def __iter__(self) -> Iterator[Plugin]:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __getitem__(self, name: str) -> Plugin:
        return self._by_name[name]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._by_name)

    def display_name(self, name: str) -> str:
        plugin = self._by_name.get(name)
        return plugin.display_name if plugin is not None else name

    def sdk_modules(self) -> frozenset[str]:
        return frozenset(m for plugin in self for m in plugin.sdk_modules)
