"""catherd: community and partnership analytics for open-source projects."""

__version__ = "0.1.0"
