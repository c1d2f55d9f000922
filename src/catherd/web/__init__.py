"""The web dashboard: FastAPI, server-rendered pages, a JSON API, accounts and roles."""
