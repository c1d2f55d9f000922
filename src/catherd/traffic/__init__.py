"""Website traffic from access logs: the figures (figures.py), defined once for every view."""
