"""FeatureSpace: keras.io's "Structured data classification with FeatureSpace", on a small table."""

import numpy as np
import pytest

import learnet as tf
from learnet import layers
from learnet.data import Dataset
from learnet.feature_space import FeatureSpace
from learnet.layers.hashing import HashedCrossing, Hashing
from learnet.layers.lookup import Discretization, IntegerLookup, StringLookup


def table(n=200, seed=0):
    """Columns of shape (n,), as ``dict(dataframe)`` gives them, and a 0/1 target."""
    rng = np.random.default_rng(seed)
    columns = {
        "sex": rng.integers(0, 2, size=n),
        "cp": rng.integers(0, 4, size=n),
        "thal": rng.choice(np.array(["normal", "fixed", "reversible"]), size=n),
        "age": rng.uniform(30, 80, size=n).astype("float32"),
        "chol": rng.normal(240, 40, size=n).astype("float32"),
        "oldpeak": rng.uniform(0, 4, size=n).astype("float32"),
        "city": rng.choice(np.array(["paris", "lyon", "nice", "lille"]), size=n),
    }
    target = ((columns["thal"] == "reversible") | (columns["age"] > 65)).astype("float32")
    return columns, target


def tutorial_space():
    return FeatureSpace(
        features={
            "sex": FeatureSpace.integer_categorical(num_oov_indices=0),
            "cp": "integer_categorical",
            "thal": FeatureSpace.string_categorical(num_oov_indices=0),
            "age": FeatureSpace.float_discretized(num_bins=8),
            "chol": FeatureSpace.float_normalized(),
            "oldpeak": FeatureSpace.float_rescaled(scale=0.5),
            "city": FeatureSpace.string_hashed(num_bins=6),
        },
        crosses=[
            FeatureSpace.cross(feature_names=("sex", "age"), crossing_dim=16),
            FeatureSpace.cross(feature_names=("thal", "cp"), crossing_dim=8),
        ],
        output_mode="concat",
    )


def test_the_tutorial_flow_end_to_end():
    columns, target = table()
    train_ds = Dataset.from_tensor_slices((columns, target)).shuffle(200, seed=1).batch(32)
    space = tutorial_space()
    space.adapt(train_ds.map(lambda x, _: x))
    width = 2 + 5 + 3 + 8 + 1 + 1 + 6 + 16 + 8
    preprocessed = train_ds.map(lambda x, y: (space(x), y))
    x, y = next(iter(preprocessed))
    assert x.shape == (32, width) and y.shape == (32,)

    dict_inputs = space.get_inputs()
    encoded = space.get_encoded_features()
    assert tuple(encoded.shape) == (None, width)
    hidden = layers.Dense(16, activation="relu")(encoded)
    predictions = layers.Dense(1, activation="sigmoid")(hidden)
    training_model = tf.keras.Model(inputs=encoded, outputs=predictions)
    training_model.compile(optimizer=tf.keras.optimizers.Adam(0.02), loss="binary_crossentropy", metrics=["accuracy"])
    inference_model = tf.keras.Model(inputs=dict_inputs, outputs=predictions)
    history = training_model.fit(preprocessed, epochs=15, verbose=0)
    assert history.history["loss"][-1] < 0.6 * history.history["loss"][0]

    # The inference model takes raw columns; it agrees with the training model on encoded ones.
    raw = {name: value[:10, None] for name, value in columns.items()}
    from_raw = inference_model.predict(raw, verbose=0)
    from_encoded = training_model.predict(space({k: v[:10] for k, v in columns.items()}).numpy(), verbose=0)
    np.testing.assert_allclose(from_raw, from_encoded, rtol=1e-5, atol=1e-6)
    # One sample, as the tutorial predicts: a dict of single values.
    sample = {name: value[0].item() for name, value in columns.items()}
    assert space(sample).shape == (width,)
    one = inference_model.predict({name: np.array([[value]]) for name, value in sample.items()}, verbose=0)
    np.testing.assert_allclose(one, from_raw[:1], rtol=1e-5, atol=1e-6)


def test_each_feature_kind_gives_what_its_layer_gives():
    columns, _ = table(n=64)
    space = tutorial_space()
    space.output_mode = "dict"  # (set before the first build)
    space.adapt(columns)  # a dict of columns works as well as a dataset
    out = space({k: v for k, v in columns.items()})
    assert sorted(out) == sorted(list(columns) + ["sex_X_age", "thal_X_cp"])

    sex = IntegerLookup(num_oov_indices=0)
    sex.adapt(columns["sex"][:, None])
    np.testing.assert_array_equal(out["sex"].numpy().argmax(-1), sex(columns["sex"]).numpy())
    thal = StringLookup(num_oov_indices=0)
    thal.adapt(columns["thal"][:, None])
    np.testing.assert_array_equal(out["thal"].numpy().argmax(-1), thal(columns["thal"]).numpy())
    assert space.preprocessors["thal"].get_vocabulary() == thal.get_vocabulary()
    age = Discretization(num_bins=8)
    age.adapt([columns["age"][:, None]])
    age_bins = age(columns["age"]).numpy()
    np.testing.assert_array_equal(out["age"].numpy().argmax(-1), age_bins)
    chol = columns["chol"].astype("float64")
    np.testing.assert_allclose(out["chol"].numpy()[:, 0], (chol - chol.mean()) / chol.std(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(out["oldpeak"].numpy()[:, 0], columns["oldpeak"] * 0.5, rtol=1e-6)
    city = Hashing(num_bins=6)(columns["city"]).numpy()
    np.testing.assert_array_equal(out["city"].numpy().argmax(-1), city)
    # A cross hashes the preprocessed (integer) features, as Keras' FeatureSpace does.
    crossed = HashedCrossing(num_bins=16)((sex(columns["sex"]).numpy(), age_bins))
    np.testing.assert_array_equal(out["sex_X_age"].numpy().argmax(-1), crossed.numpy())
    for value in out.values():
        assert value.shape[0] == 64 and value.numpy().dtype == np.float32


def test_int_outputs_in_dict_mode_and_features_given_by_name():
    table_columns, _ = table(n=40)
    columns = {name: table_columns[name] for name in ("thal", "cp", "age", "city")}
    space = FeatureSpace(
        features={
            "thal": FeatureSpace.string_categorical(output_mode="int"),
            "cp": FeatureSpace.integer_hashed(num_bins=5, output_mode="int"),
            "age": "float",
        },
        crosses=[FeatureSpace.cross(("thal", "cp"), crossing_dim=32, output_mode="int")],
        output_mode="dict",
    )
    space.adapt(
        Dataset.from_tensor_slices(columns)
    )  # extra columns are left out; unbatched: single values, batched by 32
    out = space({k: columns[k] for k in ("thal", "cp", "age")})
    np.testing.assert_array_equal(out["cp"].numpy()[:, 0], Hashing(num_bins=5)(columns["cp"]).numpy())
    assert out["thal"].numpy().dtype == np.int64 and out["thal_X_cp"].shape == (40, 1)
    np.testing.assert_allclose(out["age"].numpy()[:, 0], columns["age"])
    # Defaults by name: hashing_dim, crossing_dim, num_discretization_bins.
    named = FeatureSpace(
        {"city": "string_hashed", "age": "float_discretized", "cp": "integer_categorical"},
        crosses=[("city", "cp")],
        hashing_dim=4,
        crossing_dim=3,
        num_discretization_bins=5,
    )
    named.adapt(columns)
    assert named({k: columns[k] for k in ("city", "age", "cp")}).shape == (40, 5 + 4 + 5 + 3)


def test_clear_errors():
    with pytest.raises(ValueError, match="unknown features \\['nope'\\]"):
        FeatureSpace({"a": "float"}, crosses=[("a", "nope")])
    with pytest.raises(ValueError, match="unknown features"):
        FeatureSpace({"a": "float", "b": "float"}, crosses=[FeatureSpace.cross(("a", "c"), crossing_dim=4)])
    with pytest.raises(ValueError, match="feature 'a' has an unknown kind 'floaty'"):
        FeatureSpace({"a": "floaty"})
    with pytest.raises(ValueError, match="output_mode"):
        FeatureSpace({"a": "float"}, output_mode="list")
    space = FeatureSpace({"a": "float_normalized", "b": "string_categorical"})
    for use in (space.get_inputs, space.get_encoded_features, lambda: space({"a": [1.0], "b": ["x"]})):
        with pytest.raises(ValueError, match="call adapt\\(dataset\\)"):
            use()
    space.adapt({"a": [1.0, 2.0], "b": ["x", "y"]})
    with pytest.raises(ValueError, match="unknown: \\['c'\\]"):
        space({"a": [1.0], "b": ["x"], "c": [3]})
    with pytest.raises(ValueError, match="missing: \\['b'\\]"):
        space({"a": [1.0]})
    with pytest.raises(ValueError, match="dict"):
        space([1.0, 2.0])
    with pytest.raises(ValueError, match="map\\(lambda x, y: x\\)"):
        FeatureSpace({"a": "float_normalized"}).adapt(Dataset.from_tensor_slices(({"a": [1.0]}, [0.0])))
    with pytest.raises(ValueError, match="not encoded"):
        FeatureSpace({"b": FeatureSpace.string_categorical(output_mode="int")}).adapt({"b": ["x"]})
    # Nothing to learn: usable without adapt.
    plain = FeatureSpace({"a": "float", "h": "string_hashed"}, hashing_dim=3)
    assert plain({"a": [1.0], "h": ["x"]}).shape == (1, 4)
    with pytest.raises(ValueError, match=".keras"):
        plain.save("space.h5")  # a FeatureSpace file is a .keras file (see test_feature_space_save.py)
