"""Shared test set-up: pytester for plugin tests, paths to recorded data."""
import os

import pytest

pytest_plugins = ["pytester"]

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


@pytest.fixture
def data_dir():
    return DATA


def load_facts(name):
    from pytest_dlready import facts

    return facts.load(os.path.join(DATA, "facts", name))
