"""The sample project shipped with catherd (``data/``) and the demo store built from it."""
