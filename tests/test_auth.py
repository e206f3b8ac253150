"""Passwords are scrypt hashes; five failures lock the account."""

from __future__ import annotations

import datetime as dt

import pytest

from supervise.auth import check_password, hash_password, login
from supervise.errors import NotPermitted
from supervise.models import AuditEntry, User

from .conftest import PASSWORD


def test_hash_is_scrypt_and_salted():
    a, b = hash_password("correct horse"), hash_password("correct horse")
    assert a.startswith("scrypt$") and a != b
    assert check_password("correct horse", a) and not check_password("wrong", a)
    assert "correct horse" not in a


def test_password_never_stored_in_clear(admin):
    assert PASSWORD not in User.get(User.name == "admin").password_hash


def test_five_failures_lock_for_fifteen_minutes(admin):
    for _ in range(5):
        with pytest.raises(NotPermitted):
            login("admin", "wrong-password")
    user = User.get(User.name == "admin")
    assert user.locked_until is not None
    assert user.locked_until - dt.datetime.now() > dt.timedelta(minutes=14)
    with pytest.raises(NotPermitted, match="locked"):
        login("admin", PASSWORD)
    assert AuditEntry.select().where(AuditEntry.action == "user.lock").count() == 1


def test_success_resets_failures(admin):
    for _ in range(3):
        with pytest.raises(NotPermitted):
            login("admin", "nope-nope")
    assert login("admin", PASSWORD).role == "admin"
    assert User.get(User.name == "admin").failed_logins == 0


def test_unknown_user_same_message(db):
    with pytest.raises(NotPermitted, match="wrong user name or password"):
        login("ghost", "whatever1")
