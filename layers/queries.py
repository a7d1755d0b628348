"""Read queries behind the HTTP service, in one namespace for callers.

The work is split by job: :mod:`layers.layer_collections` (the catalog's layers as the
service exposes them, and their lookup), :mod:`layers.reads` (filters, pages, features,
frames, extents, batches), :mod:`layers.redaction` (hidden names, overlaps and flags as the
reader may read them) and :mod:`layers.community_file` (a community's legal file). Every
query is built from :mod:`layers.visibility`; route handlers call these and never hold SQL.
"""

from __future__ import annotations

from layers.community_file import community_detail, community_history
from layers.layer_collections import (
    COLLECTIONS,
    GEOMETRY_COLLECTIONS,
    LIFESPAN_OUT,
    MAX_OFFSET,
    AsOf,
    BBox,
    Collection,
    FeatureNotFoundError,
    Page,
    PagingError,
    UnknownCollectionError,
    Viewer,
    check_paging,
    collection_among,
    get_collection,
    jsonable,
)
from layers.reads import (
    BATCH_FIELDS_FOR_EDITORS,
    Filters,
    batch_list,
    bbox_envelope,
    count,
    data_version,
    extent,
    feature,
    fold,
    frame,
    history,
    page,
    where_clauses,
)
from layers.redaction import (
    flag_severities,
    flags,
    hidden_names,
    overlaps,
    redaction,
    unreadable_flags,
)

__all__ = [
    "BATCH_FIELDS_FOR_EDITORS", "COLLECTIONS", "GEOMETRY_COLLECTIONS", "LIFESPAN_OUT",
    "MAX_OFFSET", "AsOf", "BBox", "Collection", "FeatureNotFoundError", "Filters", "Page",
    "PagingError", "UnknownCollectionError", "Viewer", "batch_list", "bbox_envelope",
    "check_paging", "collection_among", "community_detail", "community_history", "count",
    "data_version", "extent", "feature", "flag_severities", "flags", "fold", "frame",
    "get_collection", "hidden_names", "history", "jsonable", "overlaps", "page", "redaction",
    "unreadable_flags", "where_clauses",
]
