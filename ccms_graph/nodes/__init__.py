"""The declarative vocabulary of record, selector and link types (`vocabulary`), declared once."""

from .vocabulary import ENTITY_TYPES, LINK_TYPES

__all__ = ["ENTITY_TYPES", "LINK_TYPES"]
