"""GitHub: a REST client and the repository source built on it."""
