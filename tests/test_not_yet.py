"""Names courses reach for that learnet lacks: a clear error, never a bare AttributeError."""

import importlib

import pytest

import learnet
from learnet import not_yet
from learnet.not_yet import NOT_YET, NotInLearnetError

LISTED = [(module, name) for module, names in NOT_YET.items() for name in names]


@pytest.mark.parametrize("module_name, name", LISTED)
def test_every_listed_name_says_it_is_not_in_learnet_yet(module_name, name):
    module = importlib.import_module(module_name)
    with pytest.raises(NotInLearnetError) as info:
        getattr(module, name)
    message = str(info.value)
    assert message.startswith(f"{module_name}.{name} is not in learnet yet: ")
    assert NOT_YET[module_name][name] in message
    assert isinstance(info.value, ImportError) and isinstance(info.value, NotImplementedError)
    assert not isinstance(info.value, AttributeError)


@pytest.mark.parametrize("module_name, name", LISTED)
def test_every_listed_name_is_really_missing(module_name, name):
    # When a name lands in learnet, delete its line from learnet.not_yet.NOT_YET.
    assert name not in vars(importlib.import_module(module_name)), f"{module_name}.{name} exists now"


def test_the_lines_a_user_sees():
    import learnet as keras

    with pytest.raises(NotInLearnetError) as info:
        keras.estimator.Estimator()
    assert str(info.value) == (
        "learnet.estimator is not in learnet yet: learnet trains with Sequential or Model, compile and fit."
    )


def test_from_imports_show_the_same_message():
    with pytest.raises(ImportError, match=r"^learnet\.estimator is not in learnet yet"):
        from learnet import Variable, estimator  # noqa: F401


def test_an_except_import_error_fallback_works():
    try:
        from learnet import estimator  # noqa: F401

        found = True
    except ImportError:
        found = False
    assert found is False


def test_other_missing_names_stay_plain_attribute_errors():
    for module in (learnet, learnet.layers, learnet.datasets):
        with pytest.raises(AttributeError, match="has no attribute 'NoSuchThing'"):
            _ = module.NoSuchThing
        assert not hasattr(module, "NoSuchThing")
    assert hasattr(learnet.layers, "Dense") and hasattr(learnet.datasets, "mnist")


def test_missing_looks_up_the_table_only():
    assert not_yet.missing("learnet.layers", "Dense") is None
    assert not_yet.missing("learnet.nowhere", "estimator") is None
    assert not_yet.missing("learnet", "estimator").name == "estimator"
