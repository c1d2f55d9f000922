"""GitHub: a REST client and the repository source built on it."""

DEFAULT_API_URL = "https://api.github.com"
