"""Text extraction jobs: one per uploaded attachment, queued in the upload's own transaction
(`casework.documents.add_attachments`), run by any worker (`casework.extraction.extract_attachment`)."""

from __future__ import annotations

from collections.abc import Callable

from ...db import Graph
from ..casework import extraction
from . import queue

KIND = "extract_text"


def enqueue_in(tx, attachment_uid: str, requested_by: str | None) -> str:
    """Queue the extraction of one attachment in the caller's transaction (no owner: not listed among a
    user's import jobs); the job's uid."""
    return queue.enqueue_in(tx, KIND, None, {"attachment_uid": attachment_uid, "requested_by": requested_by})


def run(graph: Graph, claim: queue.Claim, check: Callable[[], None]) -> dict:
    """Extract the claimed job's attachment's text; its outcome as the job's final fields."""
    check()
    return extraction.extract_attachment(graph, claim.job["attachment_uid"], graph.settings.file_store)
