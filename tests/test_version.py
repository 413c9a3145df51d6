"""learnet's versions: its own release, and the TensorFlow / Keras API level it implements."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

import learnet
import learnet as keras
import learnet as tf
from learnet import version

REPO = Path(__file__).resolve().parents[1]


def test_every_tensorflow_and_keras_spelling_reports_the_api_level():
    assert tf.__version__ == tf.version.VERSION == "2.16.0"
    assert keras.__version__ == tf.keras.__version__ == tf.version.VERSION
    assert str(tf.__version__) == "2.16.0" and f"{tf.__version__}" == "2.16.0"


def test_the_api_level_is_tensorflow_2_with_keras_3():
    assert version.version_tuple(tf.__version__)[0] == 2
    assert version.version_tuple(version.KERAS_VERSION)[0] == 3
    assert "TensorFlow 2.16.0 / Keras 3" in version.API_LEVEL


@pytest.mark.parametrize(
    "floor, passes",
    [
        ("2.8.0", True),
        ("2.0", True),
        ("2.16.0", True),
        ("2.16", True),
        ("1.15.5", True),
        ("2.17.0", False),
        ("3.0.0", False),
    ],
)
def test_course_version_checks_compare_as_numbers(floor, passes):
    # As text "2.16.0" < "2.8.0"; course code writes tf.__version__ >= "2.8.0" and means numbers.
    assert (tf.__version__ >= floor) is passes
    assert (tf.__version__ < floor) is (not passes)


def test_version_checks_through_packaging_pass():
    packaging_version = pytest.importorskip("packaging.version")
    assert packaging_version.parse(tf.__version__) >= packaging_version.parse("2.8.0")


def test_learnet_release_is_discoverable_and_matches_pyproject():
    declared = re.search(r'^version = "([^"]+)"', (REPO / "pyproject.toml").read_text(), re.M).group(1)
    assert learnet.__learnet_version__ == version.LEARNET_VERSION == declared
    assert version.GIT_VERSION == f"learnet-{declared}"


def test_command_line_prints_learnets_own_release():
    result = subprocess.run(
        [sys.executable, "-c", "from learnet.cli import main; main(['--version'])"], capture_output=True, text=True
    )
    assert result.stdout.strip() == f"learnet {version.LEARNET_VERSION}"


def test_version_tuple():
    assert version.version_tuple("2.16.0rc1") == (2, 16, 0)
    with pytest.raises(ValueError, match="version string"):
        version.version_tuple("abc")
    with pytest.raises(TypeError, match="version string"):
        version.version_tuple(2.16)


def test_keras_version_is_callable_and_still_tensorflows_namespace():
    # Keras 3: keras.version() returns its version; TensorFlow: tf.version.VERSION.
    import learnet as keras

    assert keras.version() == keras.version.KERAS_VERSION
    assert keras.version().startswith("3.")
    assert keras.version.VERSION == keras.__version__
    from learnet.version import LEARNET_VERSION

    assert LEARNET_VERSION == keras.__learnet_version__
