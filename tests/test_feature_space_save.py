"""FeatureSpace.save and keras.saving.load_model: keras.io's feature_space_advanced, to the end.

The reference files were written by real Keras 3 (tests/fixtures/make_feature_space_fixture.py):
a FeatureSpace of every kind of feature with one-hot crosses, one of ``output_mode="dict"`` with
an integer cross, and what each encodes on a table no adapt saw.
"""

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import learnet as keras
from learnet import layers
from learnet.data import Dataset
from learnet.feature_space import Cross, Feature, FeatureSpace
from learnet.layers.naming import reset_names
from learnet.layers.serialization import InvalidModelFileError

FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
from make_feature_space_fixture import DICT_FEATURES, EVALUATE, TRAIN, concat_space, dict_space  # noqa: E402

sys.path.remove(str(FIXTURES))

KERAS_CONCAT = FIXTURES / "feature_space_keras.keras"
KERAS_DICT = FIXTURES / "feature_space_keras_dict.keras"
REFERENCE = dict(np.load(FIXTURES / "feature_space_keras_io.npz"))
CONCAT_WIDTH = 2 + 5 + 3 + 4 + 1 + 1 + 6 + 1 + 5 + 16 + 8


def picked(columns):
    return {name: columns[name] for name in DICT_FEATURES}


def adapted(make, columns):
    space = make(FeatureSpace)
    space.adapt(Dataset.from_tensor_slices(columns).batch(16))
    return space


def assert_same_space(loaded, space):
    """Same inputs (names, dtypes, shapes) and the same encoded features' shapes."""
    assert isinstance(loaded, FeatureSpace)
    inputs, expected = loaded.get_inputs(), space.get_inputs()
    assert list(inputs) == list(expected)
    for name in inputs:
        assert tuple(inputs[name].shape) == tuple(expected[name].shape) == (None, 1)
        assert inputs[name].dtype == expected[name].dtype
    encoded, expected = loaded.get_encoded_features(), space.get_encoded_features()
    if isinstance(expected, dict):
        assert sorted(encoded) == sorted(expected)
        for name in encoded:
            assert tuple(encoded[name].shape) == tuple(expected[name].shape)
    else:
        assert tuple(encoded.shape) == tuple(expected.shape)


# --- files saved by real Keras 3 ----------------------------------------------------------------------
def test_loads_a_concat_feature_space_saved_by_keras():
    space = keras.saving.load_model(KERAS_CONCAT)
    assert isinstance(space, FeatureSpace)
    assert space.output_mode == "concat" and [c.name for c in space.crosses] == ["sex_X_age", "thal_X_cp"]
    assert list(space.get_inputs()) == list(TRAIN)
    assert tuple(space.get_encoded_features().shape) == (None, CONCAT_WIDTH)
    np.testing.assert_allclose(space(EVALUATE).numpy(), REFERENCE["concat"], rtol=1e-5, atol=1e-5)
    # The vocabularies come from the file's assets, the statistics from its weights.
    assert space.preprocessors["thal"].get_vocabulary() == ["reversible", "fixed", "normal"]
    assert space.preprocessors["cp"].get_vocabulary() == [-1, 2, 1, 3, 0]
    chol = TRAIN["chol"].astype("float64")
    np.testing.assert_allclose(space.preprocessors["chol"].mean.numpy().ravel(), [chol.mean()], rtol=1e-5)
    # keras.models.load_model is the same reader.
    again = keras.models.load_model(KERAS_CONCAT)
    np.testing.assert_array_equal(again(EVALUATE).numpy(), space(EVALUATE).numpy())


def test_loads_a_dict_feature_space_saved_by_keras():
    space = keras.saving.load_model(KERAS_DICT)
    encoded = space(picked(EVALUATE))
    assert sorted(encoded) == sorted([*DICT_FEATURES, "thal_X_cp"])
    for name, value in encoded.items():
        expected = REFERENCE[f"dict_{name}"]
        assert value.numpy().dtype == expected.dtype and value.shape == expected.shape
        np.testing.assert_allclose(value.numpy(), expected, rtol=1e-5, atol=1e-5)


def test_keras_file_loads_in_a_fresh_interpreter():
    # load_model finds the FeatureSpace reader without the program having imported it.
    code = (
        "import learnet as keras; space = keras.saving.load_model(r'%s'); "
        "print(type(space).__name__, tuple(space.get_encoded_features().shape))" % KERAS_CONCAT
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"FeatureSpace (None, {CONCAT_WIDTH})"


# --- learnet's save: Keras' layout, read back the same -----------------------------------------------------
def test_save_and_load_round_trip_concat(tmp_path):
    space = adapted(concat_space, TRAIN)
    np.testing.assert_allclose(space(EVALUATE).numpy(), REFERENCE["concat"], rtol=1e-5, atol=1e-5)
    path = tmp_path / "space.keras"
    space.save(path)
    loaded = keras.saving.load_model(path)
    assert_same_space(loaded, space)
    np.testing.assert_array_equal(loaded(EVALUATE).numpy(), space(EVALUATE).numpy())
    assert loaded.get_config() == space.get_config()


def test_saved_file_has_keras_layout(tmp_path):
    reset_names()  # the preprocessors get Keras' names, numbered from the first
    space = adapted(concat_space, TRAIN)
    space.save(str(tmp_path / "space.keras"))
    with zipfile.ZipFile(tmp_path / "space.keras") as mine, zipfile.ZipFile(KERAS_CONCAT) as theirs:
        assert sorted(mine.namelist()) == sorted(theirs.namelist())
        for name in theirs.namelist():
            if name.startswith("assets/"):
                assert mine.read(name) == theirs.read(name), name
        ours, keras_config = json.loads(mine.read("config.json")), json.loads(theirs.read("config.json"))
        ours_weights, keras_weights = mine.read("model.weights.h5"), theirs.read("model.weights.h5")

    def comparable(value):  # build configs and object ids are bookkeeping, not the space
        if isinstance(value, dict):
            return {k: comparable(v) for k, v in value.items() if k not in ("build_config", "shared_object_id")}
        if isinstance(value, list):
            return [comparable(v) for v in value]
        return value

    assert comparable(ours) == comparable(keras_config)
    assert set(ours["build_config"]) == set(keras_config["build_config"])
    h5py = pytest.importorskip("h5py")
    with h5py.File(io.BytesIO(ours_weights), "r") as mine, h5py.File(io.BytesIO(keras_weights), "r") as theirs:
        stats = "preprocessors/normalization/vars"
        assert sorted(mine[stats]) == sorted(theirs[stats]) == ["0", "1", "2"]
        for index in "01":  # mean and variance (Keras leaves the count at 0 after adapt)
            np.testing.assert_allclose(mine[stats][index][()], theirs[stats][index][()], rtol=1e-5)
        for group in ("preprocessors", "crossers", "one_hot_encoders"):
            assert sorted(mine[group]) == sorted(theirs[group])


def test_dict_round_trip_and_embedded_crosses_as_the_tutorial(tmp_path):
    """keras.io's feature_space_advanced: integer features and crosses embedded, a training model
    on the encoded features, and after saving, an inference model on the loaded space's inputs."""
    space = adapted(dict_space, picked(TRAIN))
    encoded = space.get_encoded_features()
    embedded = [
        layers.Flatten()(layers.Embedding(space.preprocessors["thal"].vocabulary_size(), 3)(encoded["thal"])),
        layers.Flatten()(layers.Embedding(12, 4)(encoded["thal_X_cp"])),
        layers.Flatten()(layers.Embedding(5, 2)(encoded["cp"])),
        layers.Flatten()(layers.Embedding(4, 2)(encoded["city"])),
        encoded["chol"],
    ]
    hidden = layers.Dense(8, activation="relu")(layers.Concatenate()(embedded))
    predictions = layers.Dense(1, activation="sigmoid")(hidden)
    training_model = keras.Model(inputs=encoded, outputs=predictions)
    target = (TRAIN["thal"] == "reversible").astype("float32")
    train_ds = Dataset.from_tensor_slices((picked(TRAIN), target)).batch(16)
    training_model.compile(optimizer="adam", loss="binary_crossentropy")
    training_model.fit(train_ds.map(lambda x, y: (space(x), y)), epochs=2, verbose=0)

    space.save(tmp_path / "myfeaturespace.keras")
    loaded = keras.saving.load_model(tmp_path / "myfeaturespace.keras")
    assert_same_space(loaded, space)
    for name, value in loaded(picked(EVALUATE)).items():
        np.testing.assert_allclose(value.numpy(), REFERENCE[f"dict_{name}"], rtol=1e-5, atol=1e-5)
    inference_model = keras.Model(inputs=loaded.get_inputs(), outputs=training_model(loaded.get_encoded_features()))
    raw = {name: value[:, None] for name, value in picked(EVALUATE).items()}
    expected = training_model.predict(space(picked(EVALUATE)), verbose=0)
    np.testing.assert_allclose(inference_model.predict(raw, verbose=0), expected, rtol=1e-5, atol=1e-6)
    # One sample, as the tutorial predicts: a dict of single values in batches of one.
    sample = {name: np.array([[value[0]]]) for name, value in picked(EVALUATE).items()}
    np.testing.assert_allclose(inference_model.predict(sample, verbose=0), expected[:1], rtol=1e-5, atol=1e-6)


def test_loaded_space_in_a_dataset_map_and_on_single_samples(tmp_path):
    adapted(concat_space, TRAIN).save(tmp_path / "space.keras")
    loaded = keras.saving.load_model(tmp_path / "space.keras")
    labels = np.arange(len(EVALUATE["sex"]), dtype="float32")
    preprocessed = Dataset.from_tensor_slices((EVALUATE, labels)).batch(5).map(lambda x, y: (loaded(x), y))
    batches = list(preprocessed)
    assert [x.shape for x, _ in batches] == [(5, CONCAT_WIDTH), (5, CONCAT_WIDTH), (2, CONCAT_WIDTH)]
    encoded = np.concatenate([x.numpy() for x, _ in batches])
    np.testing.assert_allclose(encoded, REFERENCE["concat"], rtol=1e-5, atol=1e-5)
    one = loaded({name: value[3].item() for name, value in EVALUATE.items()})
    assert one.shape == (CONCAT_WIDTH,)
    np.testing.assert_allclose(one.numpy(), REFERENCE["concat"][3], rtol=1e-5, atol=1e-5)


def test_nothing_to_adapt_saves_without_adapt(tmp_path):
    space = FeatureSpace({"a": "float", "h": FeatureSpace.string_hashed(num_bins=3)})
    space.save(tmp_path / "plain.keras")
    loaded = keras.models.load_model(tmp_path / "plain.keras")
    data = {"a": np.array([1.5, -2.0]), "h": np.array(["x", "y"])}
    np.testing.assert_array_equal(loaded(data).numpy(), space(data).numpy())


@keras.saving.register_keras_serializable(package="FeatureSpaceTest")
class Scale(layers.Layer):
    """A preprocessor of one's own, with a weight of its own."""

    def build(self, input_shape):
        self.factor = self.add_weight(name="factor", shape=(1,), initializer="ones", trainable=False)

    def call(self, inputs):
        return inputs * self.factor


def test_a_preprocessor_of_ones_own_keeps_its_weights(tmp_path):
    scale = Scale(name="scale")
    space = FeatureSpace({"a": FeatureSpace.feature("float32", scale, "float"), "b": "float_normalized"})
    space.adapt({"a": np.array([1.0, 2.0]), "b": np.array([0.0, 4.0])})
    scale.factor.assign([3.0])
    space.save(tmp_path / "own.keras")
    loaded = keras.saving.load_model(tmp_path / "own.keras")
    data = {"a": np.array([1.0, -1.0]), "b": np.array([2.0, 4.0])}
    np.testing.assert_allclose(loaded(data).numpy(), [[3.0, 0.0], [-3.0, 1.0]], rtol=1e-6)


# --- get_config / from_config -------------------------------------------------------------------------
def test_get_config_from_config_round_trip():
    space = concat_space(FeatureSpace)
    config = space.get_config()
    assert json.loads(json.dumps(config)) == config  # plain data, as config.json holds it
    again = FeatureSpace.from_config(config)
    assert again.get_config() == config
    assert [c.name for c in again.crosses] == ["sex_X_age", "thal_X_cp"]
    assert type(again.preprocessors["slope"]).__name__ == "_AsFloat"

    # Adapted: the config holds the bin boundaries, not what is state (vocabularies, statistics),
    # as in Keras; a space made from it adapts again before use.
    space.adapt(TRAIN)
    config = space.get_config()
    assert config["features"]["thal"]["config"]["preprocessor"]["config"]["vocabulary"] is None
    bins = config["features"]["age"]["config"]["preprocessor"]["config"]["bin_boundaries"]
    assert len(bins) == 3
    fresh = FeatureSpace.from_config(config)
    with pytest.raises(ValueError, match="adapt"):
        fresh(EVALUATE)
    fresh.adapt(TRAIN)
    np.testing.assert_allclose(fresh(EVALUATE).numpy(), space(EVALUATE).numpy(), rtol=1e-6, atol=1e-6)

    feature = space.features["chol"]
    copy = Feature.from_config(feature.get_config())
    assert copy.dtype == "float32" and copy.output_mode == "float"
    assert type(copy.preprocessor).__name__ == "Normalization"
    cross = Cross.from_config(space.crosses[0].get_config())
    assert (cross.feature_names, cross.crossing_dim, cross.output_mode) == (("sex", "age"), 16, "one_hot")


def test_from_config_errors():
    with pytest.raises(TypeError, match="dict"):
        FeatureSpace.from_config([("a", "float")])
    config = FeatureSpace({"a": "float_normalized"}).get_config()
    config["features"]["a"]["class_name"] = "Thing"
    with pytest.raises(ValueError, match="not a FeatureSpace feature"):
        FeatureSpace.from_config(config)
    config = FeatureSpace({"a": "float_normalized"}).get_config()
    config["features"]["a"]["config"]["preprocessor"]["module"] = "os.path"
    with pytest.raises(InvalidModelFileError, match="not part of Keras"):
        FeatureSpace.from_config(config)
    with pytest.raises(ValueError, match="crossing_dim must be a positive integer"):
        FeatureSpace.cross(("a", "b"), crossing_dim=0)
    with pytest.raises(ValueError, match="crossing_dim"):
        FeatureSpace.from_config(
            {"features": {"a": "float", "b": "float"}, "crosses": [["a", "b"]], "crossing_dim": None}
        )


# --- errors: saving refuses before writing; a damaged file is refused with what is wrong ------------------
def test_save_errors_write_nothing(tmp_path):
    space = FeatureSpace({"a": "float_normalized", "c": "string_categorical"})
    existing = tmp_path / "space.keras"
    existing.write_bytes(b"previous")
    with pytest.raises(ValueError, match="adapt"):
        space.save(existing)
    assert existing.read_bytes() == b"previous"
    space.adapt({"a": [1.0, 2.0], "c": ["x", "y"]})
    for name in ("space.h5", "space", "space.keras.zip"):
        with pytest.raises(ValueError, match="\\.keras"):
            space.save(tmp_path / name)
        assert not (tmp_path / name).exists()
    with pytest.raises(TypeError, match="filepath"):
        space.save(3)
    assert sorted(os.listdir(tmp_path)) == ["space.keras"]


def rewritten(source, target, config=None, drop=(), weights=None):
    """A copy of the ``.keras`` file ``source`` with its config changed, entries dropped or its weights replaced."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for name in original.namelist():
            if name in drop:
                continue
            data = original.read(name)
            if name == "config.json" and config is not None:
                data = json.dumps(config(json.loads(data))).encode()
            if name == "model.weights.h5" and weights is not None:
                data = weights(data)
            copy.writestr(name, data)
    return target


def test_damaged_files_are_refused(tmp_path):
    def no_features(config):
        del config["config"]["features"]
        return config

    def foreign_module(config):
        config["config"]["features"]["chol"]["config"]["preprocessor"]["module"] = "os.path"
        return config

    def code_layer(config):
        config["config"]["features"]["chol"]["config"]["preprocessor"]["class_name"] = "Lambda"
        return config

    def unknown_class(config):
        config["config"]["features"]["chol"]["config"]["preprocessor"]["class_name"] = "MyNormalizer"
        return config

    def bad_cross(config):
        config["config"]["crosses"][0]["config"]["feature_names"] = ["sex", "nope"]
        return config

    cases = [
        (dict(config=no_features), "no features"),
        (dict(config=foreign_module), "not part of Keras"),
        (dict(config=code_layer), "Lambda"),
        (dict(config=unknown_class), "MyNormalizer"),
        (dict(config=bad_cross), "unknown features"),
        (dict(drop=("assets/preprocessors/string_lookup/vocabulary.txt",)), "vocabulary"),
    ]
    for index, (change, message) in enumerate(cases):
        path = rewritten(KERAS_CONCAT, tmp_path / f"bad{index}.keras", **change)
        with pytest.raises(InvalidModelFileError, match=message):
            keras.saving.load_model(path)


def test_weights_that_do_not_fit_are_refused(tmp_path):
    h5py = pytest.importorskip("h5py")

    def wrong_shape(data):
        buffer = io.BytesIO(data)
        with h5py.File(buffer, "a") as handle:
            group = handle["preprocessors/normalization/vars"]
            del group["0"]
            group.create_dataset("0", data=np.zeros((3,), "float32"))
        return buffer.getvalue()

    def missing(data):
        buffer = io.BytesIO(data)
        with h5py.File(buffer, "a") as handle:
            del handle["preprocessors/normalization/vars/2"]
        return buffer.getvalue()

    for name, change, message in (("shape", wrong_shape, "shape"), ("missing", missing, "3 weights")):
        path = rewritten(KERAS_CONCAT, tmp_path / f"{name}.keras", weights=change)
        with pytest.raises(InvalidModelFileError, match=message):
            keras.saving.load_model(path)
