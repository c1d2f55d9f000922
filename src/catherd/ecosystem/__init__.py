"""Ecosystem questions over a lake of GH Archive events, on whichever engine is configured.

Who of ours contributes where (breadth), which organisations' people contribute across a set
of repositories, and the registered metrics for every repository of a set (health).
Definitions: docs/scale.md.
"""
