"""Item types: one class per YAML `type`, each in its own module, known by REGISTRY."""

from . import free_text, multiple, ranking, single  # noqa: F401  (each registers itself)
from .base import REGISTRY, InvalidItem, InvalidResponse, ItemType, SpecProblem

__all__ = ["REGISTRY", "InvalidItem", "InvalidResponse", "ItemType", "SpecProblem", "item_type"]


def item_type(name: str) -> type[ItemType] | None:
    return REGISTRY.get(name)
