"""HTTP plumbing every mdp service shares: error envelope, admin auth, body limits, /metrics, serving.

Only service layers (``*/app.py``, ``*/api.py``) import this package; domain code never imports FastAPI.
"""
