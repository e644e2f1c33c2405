"""The drift package's public surface: ``__all__`` is exact and every error is rooted at DriftError."""

from __future__ import annotations

import inspect

import mdp.drift
import mdp.drift.errors
from mdp.errors import MdpError


def test_all_lists_exactly_the_public_names() -> None:
    public = {
        name
        for name, value in vars(mdp.drift).items()
        if not name.startswith("_") and not inspect.ismodule(value) and name != "annotations"
    }
    assert set(mdp.drift.__all__) == public
    assert mdp.drift.__all__ == sorted(mdp.drift.__all__)


def test_every_error_derives_from_the_drift_root() -> None:
    errors = [
        value
        for value in vars(mdp.drift.errors).values()
        if inspect.isclass(value) and issubclass(value, Exception) and value.__module__ == "mdp.drift.errors"
    ]
    assert len(errors) == 4
    for error in errors:
        assert issubclass(error, mdp.drift.DriftError)
        assert issubclass(error, MdpError)
        assert error.__name__ in mdp.drift.__all__
