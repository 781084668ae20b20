"""Fixtures for monitor tests: a real SQLite store in tmp_path and a stepped clock."""

from tests.support.fixtures import clock as clock
from tests.support.fixtures import db_path as db_path
from tests.support.fixtures import key as key
from tests.support.fixtures import store as store
from tests.support.fixtures import vault as vault
