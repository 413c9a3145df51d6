"""FarmHash, SipHash and the Hashing / HashedCrossing layers, against Keras' documented values
(and the ``pyfarmhash`` package, or Keras itself, when they are installed)."""

import random

import numpy as np
import pytest

from learnet import layers
from learnet.layers.farmhash import fingerprint64
from learnet.layers.hashing import HashedCrossing, Hashing, siphash64
from learnet.models import Model

LETTERS = [["A"], ["B"], ["C"], ["D"], ["E"]]


# --- the hash functions ---------------------------------------------------------------------------


def test_fingerprint64_of_short_strings():
    assert fingerprint64(b"") == 0x9AE16A3B2F90404F  # the empty string hashes to the constant k2
    assert fingerprint64("A") == fingerprint64(b"A")
    assert fingerprint64("é") == fingerprint64("é".encode("utf-8"))


def test_fingerprint64_agrees_with_pyfarmhash_on_every_length_up_to_300():
    farmhash = pytest.importorskip("farmhash", reason="the pyfarmhash package is the reference")
    rng = random.Random(1234)
    for length in range(301):
        for _ in range(8):
            data = bytes(rng.randrange(256) for _ in range(length))
            assert fingerprint64(data) == farmhash.fingerprint64(data), f"length {length}: {data!r}"
    for text in ["hello", "Männer", "x" * 65, "thal=fixed", "0", "-12", "1138"]:
        assert fingerprint64(text) == farmhash.fingerprint64(text)


def test_siphash64_matches_the_reference_vector_of_the_siphash_paper():
    # Key 00 01 .. 0f, message 00 01 .. 0e: a129ca6149be45e5 (Aumasson & Bernstein, appendix A).
    key = (int.from_bytes(bytes(range(8)), "little"), int.from_bytes(bytes(range(8, 16)), "little"))
    assert siphash64(key, bytes(range(15))) == 0xA129CA6149BE45E5


# --- Hashing -----------------------------------------------------------------------------------------


def test_hashing_strings_as_keras_documents():
    np.testing.assert_array_equal(Hashing(num_bins=3)(LETTERS).numpy(), [[1], [0], [1], [1], [2]])


def test_hashing_with_a_mask_value_as_keras_documents():
    layer = Hashing(num_bins=3, mask_value="")
    np.testing.assert_array_equal(layer([["A"], ["B"], [""], ["C"], ["D"]]).numpy(), [[1], [1], [0], [2], [2]])


def test_salted_hashing_is_siphash_as_keras_documents():
    np.testing.assert_array_equal(Hashing(num_bins=3, salt=[133, 137])(LETTERS).numpy(), [[1], [2], [1], [0], [2]])
    np.testing.assert_array_equal(Hashing(num_bins=3, salt=133)(LETTERS).numpy(), [[0], [0], [2], [1], [0]])
    assert Hashing(num_bins=3, salt=133).get_config()["salt"] == [133, 133]


def test_integers_hash_as_their_decimal_text():
    values = np.array([[7], [-12], [1138], [0]])
    as_text = np.array([["7"], ["-12"], ["1138"], ["0"]])
    layer = Hashing(num_bins=11)
    np.testing.assert_array_equal(layer(values).numpy(), layer(as_text).numpy())
    expected = [[fingerprint64(str(v)) % 11] for v in values[:, 0]]
    np.testing.assert_array_equal(layer(values).numpy(), expected)
    # Floats are truncated to integers first (tf.cast), bytes are strings.
    np.testing.assert_array_equal(layer(np.array([[7.9], [-12.5]])).numpy(), layer(np.array([[7], [-12]])).numpy())
    np.testing.assert_array_equal(layer(np.array([[b"7"]])).numpy(), layer(np.array([[7]])).numpy())
    masked = Hashing(num_bins=4, mask_value=0)(np.array([0, 5, 0]))
    assert masked.numpy()[0] == 0 and masked.numpy()[2] == 0 and masked.numpy()[1] == fingerprint64("5") % 3 + 1


def test_hashing_agrees_with_keras_when_keras_can_run_it():
    keras = pytest.importorskip("keras")
    try:
        reference = keras.layers.Hashing(num_bins=7)
    except ImportError:
        pytest.skip("Keras' Hashing needs TensorFlow")
    values = np.array([[1], [22], [333], [-4]])
    np.testing.assert_array_equal(Hashing(num_bins=7)(values).numpy(), np.asarray(reference(values)))


def test_hashing_output_modes_and_shapes():
    ids = Hashing(num_bins=5)(LETTERS).numpy()[:, 0]
    one_hot = Hashing(num_bins=5, output_mode="one_hot")(LETTERS).numpy()
    assert one_hot.shape == (5, 5) and one_hot.dtype == np.float32
    np.testing.assert_array_equal(one_hot.argmax(axis=1), ids)
    multi = Hashing(num_bins=5, output_mode="multi_hot")([["A", "B", "A"]]).numpy()
    count = Hashing(num_bins=5, output_mode="count")([["A", "B", "A"]]).numpy()
    expected = np.zeros((1, 5))
    np.add.at(expected[0], [ids[0], ids[1], ids[0]], 1)
    np.testing.assert_array_equal(count, expected)
    np.testing.assert_array_equal(multi, expected > 0)
    assert Hashing(num_bins=5, output_mode="one_hot")([["A", "B"]]).shape == (1, 2, 5)
    assert Hashing(num_bins=5)("A").shape == ()


def test_hashing_in_a_functional_model_and_get_config():
    inputs = layers.Input(shape=(1,), dtype="string")
    layer = Hashing(num_bins=4, output_mode="one_hot", name="h")
    outputs = layer(inputs)
    assert tuple(outputs.shape) == (None, 4)
    model = Model(inputs, outputs)
    np.testing.assert_array_equal(model(np.array(LETTERS)).numpy(), Hashing(4, output_mode="one_hot")(LETTERS).numpy())
    config = layer.get_config()
    assert {k: config[k] for k in ("num_bins", "mask_value", "salt", "output_mode", "sparse")} == {
        "num_bins": 4,
        "mask_value": None,
        "salt": None,
        "output_mode": "one_hot",
        "sparse": False,
    }
    assert Hashing.from_config(config).get_config() == config


def test_hashing_refuses_bad_arguments_by_name():
    with pytest.raises(ValueError, match="Hashing 'bad'.*num_bins"):
        Hashing(num_bins=0, name="bad")
    with pytest.raises(ValueError, match="Hashing.*output_mode"):
        Hashing(num_bins=3, output_mode="tf_idf")
    with pytest.raises(ValueError, match="Hashing.*salt"):
        Hashing(num_bins=3, salt="pepper")
    with pytest.raises(ValueError, match="Hashing.*sparse"):
        Hashing(num_bins=3, output_mode="one_hot", sparse=True)
    with pytest.raises(TypeError, match="Hashing.*mask_value"):
        Hashing(num_bins=3, mask_value="")(np.array([1, 2]))


# --- HashedCrossing -------------------------------------------------------------------------------------

FEAT1 = np.array(["A", "B", "A", "B", "A"])
FEAT2 = np.array([101, 101, 101, 102, 102])


def test_hashed_crossing_as_keras_documents():
    np.testing.assert_array_equal(HashedCrossing(num_bins=5)((FEAT1, FEAT2)).numpy(), [1, 4, 1, 1, 3])
    one_hot = HashedCrossing(num_bins=5, output_mode="one_hot")((FEAT1, FEAT2)).numpy()
    np.testing.assert_array_equal(one_hot, np.eye(5, dtype="float32")[[1, 4, 1, 1, 3]])
    assert one_hot.dtype == np.float32


def test_hashed_crossing_shapes():
    layer = HashedCrossing(num_bins=5)
    column = layer((FEAT1[:, None], FEAT2[:, None])).numpy()
    np.testing.assert_array_equal(column, [[1], [4], [1], [1], [3]])
    assert layer(("A", 101)).numpy() == 1
    assert HashedCrossing(5, output_mode="one_hot")((FEAT1[:, None], FEAT2[:, None])).shape == (5, 5)
    # The order of the features matters; three features cross too.
    assert not np.array_equal(layer((FEAT2, FEAT1)).numpy(), layer((FEAT1, FEAT2)).numpy())
    assert layer((FEAT1, FEAT2, FEAT2)).shape == (5,)


def test_hashed_crossing_in_a_functional_model_and_errors():
    a = layers.Input(shape=(1,), dtype="string")
    b = layers.Input(shape=(1,), dtype="int64")
    crossed = HashedCrossing(num_bins=5, output_mode="one_hot", name="cross")([a, b])
    assert tuple(crossed.shape) == (None, 5)
    model = Model([a, b], crossed)
    np.testing.assert_array_equal(model([FEAT1[:, None], FEAT2[:, None]]).numpy().argmax(1), [1, 4, 1, 1, 3])
    assert HashedCrossing.from_config(HashedCrossing(7, name="c").get_config()).num_bins == 7
    layer = HashedCrossing(num_bins=5, name="x")
    with pytest.raises(ValueError, match="HashedCrossing 'x'.*at least two"):
        layer([FEAT1])
    with pytest.raises(ValueError, match="HashedCrossing 'x'.*same shape"):
        layer([FEAT1, FEAT2[:3]])
    with pytest.raises(ValueError, match="HashedCrossing 'x'.*shape"):
        layer([np.zeros((2, 3), int), np.zeros((2, 3), int)])
    with pytest.raises(TypeError, match="HashedCrossing 'x'.*integers or strings"):
        layer([FEAT1, np.array([0.5, 1, 2, 3, 4])])
    with pytest.raises(ValueError, match="HashedCrossing.*output_mode"):
        HashedCrossing(num_bins=5, output_mode="count")
