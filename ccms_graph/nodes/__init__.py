"""neomodel node classes and the declarative vocabulary of record and link types."""

from .org import Address, Attachment, Case, Email, Identifier, Office, Phone, SocialHandle, User
from .records import NODE_CLASSES
from .vocabulary import ENTITY_TYPES, LINK_TYPES

__all__ = ["Address", "Attachment", "Case", "Email", "Identifier", "Office", "Phone", "SocialHandle",
           "User", "NODE_CLASSES", "ENTITY_TYPES", "LINK_TYPES"]
