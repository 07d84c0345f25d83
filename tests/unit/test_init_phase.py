"""The init phase's collector pause: on while the imports run, back as it was afterwards."""

import gc

import pytest

from meetings.init_phase import collector_paused


def test_the_collector_is_paused_inside_and_resumes_after():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_resumes_when_an_import_fails():
    with pytest.raises(ImportError), collector_paused():
        import a_module_that_does_not_exist  # noqa: F401
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled():
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
