"""Storage URLs: masked everywhere, refused when ambiguous, errors with the server's
reason (real MariaDB where marked ``mysql``)."""

from __future__ import annotations

import pytest

from pirate_pain.errors import UserInputError
from tests.pipelines.tune.test_tune import _mysql_url, _typed


def test_unreachable_storage_is_one_sentence_without_the_password():
    from pirate_pain.tuning import make_storage

    url = "mysql+pymysql://tuner:s3cret@127.0.0.1:1/optuna"
    with pytest.raises(UserInputError) as info:
        make_storage(url, _typed({"connection_retries": 1})[1])
    message = str(info.value)
    assert message.startswith(
        "The tuning storage mysql+pymysql://tuner:***@127.0.0.1:1"
    )
    assert "s3cret" not in message and "PIRATE_PAIN_OPTUNA_STORAGE" in message


@pytest.mark.parametrize(
    "password", ["s3cret@PW", "a:b/c", "p%40ss", "pässwörd", "x@y@z", "%2F@/:"]
)
def test_passwords_never_show_in_masked_urls(password):
    from pirate_pain.tuning import masked

    url = f"mysql+pymysql://tuner:{password}@127.0.0.1:3306/optuna"
    shown = masked(url)
    assert shown.startswith("mysql+pymysql://tuner:***@")
    assert shown.endswith("127.0.0.1:3306/optuna")
    for part in {password, *password.split("@"), *password.split(":")} - {""}:
        if len(part) > 2:
            assert part not in shown


def test_unescaped_at_in_the_password_is_one_sentence():
    from pirate_pain.tuning import make_storage

    with pytest.raises(UserInputError) as info:
        make_storage("mysql+pymysql://tuner:s3cret@PW@127.0.0.1:1/optuna", None)
    assert "write it as %40" in str(info.value) and "s3cret" not in str(info.value)


@pytest.mark.parametrize(
    "password", ["s3cret@PW", "a:b/c", "p%40ss", "pässwörd", "x@y@z"]
)
def test_log_records_never_carry_a_password(password, caplog):
    import logging

    from pirate_pain.masking import MaskCredentials

    logger = logging.getLogger("tests.masking")
    handler = logging.StreamHandler()
    handler.addFilter(MaskCredentials())
    logger.addHandler(handler)
    try:
        with caplog.at_level(logging.INFO, logger="tests.masking"):
            caplog.handler.addFilter(MaskCredentials())
            logger.info("cannot open %s", f"mysql://tuner:{password}@db:3306/optuna")
    finally:
        logger.removeHandler(handler)
    assert (
        caplog.records[0].getMessage() == "cannot open mysql://tuner:***@db:3306/optuna"
    )


@pytest.mark.mysql
def test_storage_errors_carry_the_server_reason():
    from pirate_pain.tuning import make_storage

    base = _mysql_url().rsplit("/", 1)[0]
    cases = {
        f"{base}/no_such_database": "(Unknown database 'no_such_database')",
        base.replace("//root@", "//nobody:pw4711@") + "/test": "(Access denied",
    }
    for url, reason in cases.items():
        with pytest.raises(UserInputError) as info:
            make_storage(url, _typed({"connection_retries": 1})[1])
        assert reason in str(info.value) and "pw4711" not in str(info.value)
