"""The package's public surface: ``__all__`` is exact and every error is rooted at ClientError/MdpError."""

from __future__ import annotations

import inspect

import mdp.client
import mdp.client.errors
from mdp.errors import MdpError


def test_all_lists_exactly_the_public_names() -> None:
    public = {
        name
        for name, value in vars(mdp.client).items()
        if not name.startswith("_") and not inspect.ismodule(value) and name != "annotations"
    }
    assert set(mdp.client.__all__) == public
    assert mdp.client.__all__ == sorted(mdp.client.__all__)


def test_every_error_derives_from_the_client_root() -> None:
    errors = [
        value
        for value in vars(mdp.client.errors).values()
        if inspect.isclass(value) and issubclass(value, Exception) and value.__module__ == "mdp.client.errors"
    ]
    assert len(errors) >= 14
    for error in errors:
        assert issubclass(error, mdp.client.ClientError)
        assert issubclass(error, MdpError)
        assert error.__name__ in mdp.client.__all__
