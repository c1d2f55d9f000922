"""Community-health metrics: each one a documented ibis expression over the store.

Importing this package registers every metric in ``REGISTRY``.
"""

from catherd.metrics import activity, community, concentration, people, responsiveness
from catherd.metrics.base import REGISTRY, Metric, Params

__all__ = [
    "REGISTRY",
    "Metric",
    "Params",
    "activity",
    "community",
    "concentration",
    "people",
    "responsiveness",
]
