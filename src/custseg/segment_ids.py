"""The special segment ids, defined once for Python (SQL: macro ``special_segment_ids``).

Clusters get ids from 1 upwards (stable across refits, ``custseg.clustering.matching``);
these three ids are reserved for customers no cluster describes. A pytest compares them
with the SQL macro, so the two definitions cannot drift apart.
"""

from typing import Final

NO_PURCHASE: Final = 0
"""Customers without a completed order: not clustered, the rule-based 'No purchase yet'."""

NOISE: Final = -1
"""Customers a density model (DBSCAN/HDBSCAN) left unassigned."""

PROFILING_OBJECTION: Final = -2
"""Customers who objected to profiling: never clustered, scored or exported."""

FIRST_CLUSTER: Final = 1
"""The smallest id a cluster can have."""
