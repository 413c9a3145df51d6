"""The optimizer's variables in Keras 3's order, so its state moves between learnet and Keras files.

Keras 3 lists an optimizer's slots grouped by kind: Adam with ``amsgrad`` makes the
momentum and velocity of every variable, then all velocity_hats; RMSprop all velocities,
then all momentums, then all average gradients; Nadam's ``u_product`` comes last. A
``.keras`` file stores ``optimizer.variables`` by position, so learnet lists them the
same way; older learnet files (slots side by side per variable) still load.
"""

import io
import json
import os
import warnings
import zipfile

os.environ.setdefault("KERAS_BACKEND", "jax")

import h5py
import numpy as np
import pytest

import learnet as tf
from learnet import keras_files, optimizers

X = np.random.default_rng(3).random((8, 6, 6, 2)).astype("float32")
Y = np.random.default_rng(4).random((8, 2)).astype("float32")

# (optimizer class, arguments): every optimizer learnet has, with the options that add variables.
CASES = [
    ("SGD", {}),
    ("SGD", dict(momentum=0.9, nesterov=True)),
    ("Adam", {}),
    ("Adam", dict(amsgrad=True)),
    ("AdamW", dict(amsgrad=True)),
    ("Adamax", {}),
    ("Adagrad", {}),
    ("Adadelta", {}),
    ("RMSprop", {}),
    ("RMSprop", dict(centered=True)),
    ("RMSprop", dict(momentum=0.5)),
    ("RMSprop", dict(momentum=0.5, centered=True)),
    ("Nadam", {}),
    ("Ftrl", {}),
    ("Lion", {}),
    ("Lamb", {}),
    ("Adafactor", {}),
    ("Adam", dict(use_ema=True)),
    ("Adam", dict(amsgrad=True, gradient_accumulation_steps=2)),
    ("Nadam", dict(use_ema=True, gradient_accumulation_steps=2)),
    ("RMSprop", dict(momentum=0.5, centered=True, use_ema=True, gradient_accumulation_steps=3)),
    ("LossScaleOptimizer", dict(inner=("Adam", dict(amsgrad=True)))),
    ("LossScaleOptimizer", dict(inner=("RMSprop", dict(momentum=0.5, centered=True)))),
    ("schedule", {}),
]


def _optimizer(M, name, arguments, learning_rate=0.01):
    arguments = dict(arguments)
    if name == "LossScaleOptimizer":
        inner = _optimizer(M, *arguments.pop("inner"), learning_rate=learning_rate)
        return M.optimizers.LossScaleOptimizer(inner, **arguments)
    if name == "schedule":
        return M.optimizers.Adam(M.optimizers.schedules.ExponentialDecay(learning_rate, 10, 0.9))
    return getattr(M.optimizers, name)(learning_rate, **arguments)


def _model(M):
    return M.Sequential(
        [M.Input((6, 6, 2)), M.layers.Conv2D(3, 3), M.layers.Flatten(), M.layers.Dense(4), M.layers.Dense(2)]
    )


def _ids(cases):
    return [f"{name}-{'-'.join(f'{k}={v}' for k, v in arguments.items())}" for name, arguments in cases]


def _kind(key):
    """The name of the slot (or own variable) a learnet state key stands for, as Keras 3 ends its path."""
    last = key.rsplit("/", 1)[-1]
    return {"iterations": "iteration"}.get(last, last)


# --- the order of optimizer.variables -------------------------------------------------------------
@pytest.mark.parametrize("name, arguments", CASES, ids=_ids(CASES))
def test_optimizer_variables_follow_keras_order(keras, name, arguments):
    theirs = _optimizer(keras, name, arguments)
    theirs.build(_model(keras).trainable_variables)
    mine = _optimizer(tf.keras, name, arguments)
    mine.build(_model(tf.keras).trainable_variables)

    their_variables, my_variables = list(theirs.variables), list(mine.variables)
    assert [tuple(v.shape) for v in my_variables] == [tuple(v.shape) for v in their_variables]
    # get_state lists its keys in the same order as `variables`.
    state = mine.get_state()
    assert [tuple(np.shape(a)) for a in state.values()] == [tuple(v.shape) for v in my_variables]
    for key, variable in zip(state, their_variables):
        if key == "u_product" or (name == "Adafactor" and "_velocity" in key and "/velocity" not in key):
            continue  # Keras 3 names these after no slot: "variable", or the weight's own name
        assert variable.path.endswith(_kind(key)), (key, variable.path)


def test_adam_amsgrad_and_rmsprop_list_their_slots_by_kind():
    w, b = tf.Variable(np.ones((2, 3), np.float32)), tf.Variable(np.ones(3, np.float32))
    adam = optimizers.Adam(amsgrad=True)
    adam.build([w, b])
    assert list(adam.get_state())[2:] == [
        "0/momentum",
        "0/velocity",
        "1/momentum",
        "1/velocity",
        "0/velocity_hat",
        "1/velocity_hat",
    ]
    rmsprop = optimizers.RMSprop(momentum=0.5, centered=True)
    rmsprop.build([w, b])
    assert list(rmsprop.get_state())[2:] == [
        "0/velocity",
        "1/velocity",
        "0/momentum",
        "1/momentum",
        "0/average_gradient",
        "1/average_gradient",
    ]
    nadam = optimizers.Nadam()
    nadam.build([w])
    assert list(nadam.get_state()) == ["iterations", "learning_rate", "0/momentum", "0/velocity", "u_product"]
    assert nadam.variables[-1] is nadam._u_product


def test_listing_order_leaves_the_slots_where_the_update_reads_them():
    """The slots of one weight stay one record (the fused update's arguments); only the listing moved."""
    w = tf.Variable(np.ones((2, 3), np.float32))
    optimizer = optimizers.RMSprop(0.1, momentum=0.5, centered=True)
    optimizer.apply_gradients([(np.full((2, 3), 0.5, np.float32), w)])
    arrays = optimizer._records[id(w)][0]
    state = optimizer.get_state()
    for slot, array in zip(("velocity", "momentum", "average_gradient"), arrays):
        np.testing.assert_array_equal(state[f"0/{slot}"], array)
    assert [id(v._value) for v in optimizer.variables[2:]] == [id(a) for a in arrays]


def test_stateless_apply_takes_the_variables_in_keras_order():
    w, b = tf.Variable(np.ones((2, 2), np.float32)), tf.Variable(np.ones(2, np.float32))
    optimizer = optimizers.Adam(0.1, amsgrad=True)
    optimizer.build([w, b])
    values = [v.numpy() for v in optimizer.variables]
    values[-2] = np.full((2, 2), 9.0, np.float32)  # w's velocity_hat
    grads = [np.ones((2, 2), np.float32), np.ones(2, np.float32)]
    _, new_state = optimizer.stateless_apply(values, grads, [w, b])
    np.testing.assert_array_equal(new_state[-2].numpy(), np.full((2, 2), 9.0, np.float32))
    assert optimizer.get_state()["0/velocity_hat"].max() == 0.0  # the optimizer itself unchanged


# --- .keras files both ways, with a resumed step ----------------------------------------------------
ROUND_TRIPS = [
    ("RMSprop", dict(momentum=0.5, centered=True)),
    ("Adam", dict(amsgrad=True)),
    ("AdamW", dict(amsgrad=True, weight_decay=0.01)),
    ("Nadam", {}),
    ("Adafactor", {}),
    ("SGD", dict(momentum=0.9, nesterov=True)),
    ("Adam", dict(use_ema=True, ema_momentum=0.5)),
    ("RMSprop", dict(momentum=0.5, centered=True, gradient_accumulation_steps=2)),
    ("LossScaleOptimizer", dict(inner=("Adam", dict(amsgrad=True)))),
]


def _fitted(M, name, arguments, keras):
    model = _model(M)
    # Keras on JAX donates one buffer twice with use_ema under jit: compiled eagerly there.
    options = {"jit_compile": False} if M is keras else {}
    model.compile(optimizer=_optimizer(M, name, arguments), loss="mse", **options)
    model.fit(X, Y, batch_size=4, shuffle=False, verbose=0)
    return model


def _same_state(a, b):
    first, second = list(a.optimizer.variables), list(b.optimizer.variables)
    assert len(first) == len(second)
    for u, v in zip(first, second):
        np.testing.assert_allclose(np.asarray(u).astype(float), np.asarray(v).astype(float), atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("name, arguments", ROUND_TRIPS, ids=_ids(ROUND_TRIPS))
def test_keras_file_round_trips_resume_training(keras, tmp_path, name, arguments):
    for M, other in ((keras, tf.keras), (tf.keras, keras)):
        saved = _fitted(M, name, arguments, keras)
        path = tmp_path / f"{M.__name__}.keras"
        saved.save(path)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            loaded = other.models.load_model(path)
        assert not [w for w in caught if "afresh" in str(w.message)], [str(w.message) for w in caught]
        assert int(loaded.optimizer.iterations) == int(saved.optimizer.iterations) > 0
        _same_state(saved, loaded)
        saved.fit(X, Y, batch_size=4, shuffle=False, verbose=0)
        loaded.fit(X, Y, batch_size=4, shuffle=False, verbose=0)
        for u, v in zip(saved.get_weights(), loaded.get_weights()):
            np.testing.assert_allclose(u, v, atol=1e-5, rtol=1e-5)


# --- older learnet files: slots side by side per variable --------------------------------------------
def _trained(optimizer):
    model = _model(tf.keras)
    model.compile(optimizer=optimizer, loss="mse")
    model.fit(X, Y, batch_size=4, shuffle=False, verbose=0)
    return model


def _as_older_learnet_file(path, optimizer):
    """Rewrite a learnet ``.keras`` file as older learnet releases wrote it: no learnet_version in
    metadata.json, each variable's slots side by side in optimizer/vars."""
    keys = list(optimizer.get_state())
    old = keras_files._interleaved_order(keys, optimizer)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    metadata = json.loads(members["metadata.json"])
    del metadata["learnet_version"]
    members["metadata.json"] = json.dumps(metadata).encode()
    source, target = io.BytesIO(members["model.weights.h5"]), io.BytesIO()
    with h5py.File(source, "r") as reading, h5py.File(target, "w") as writing:
        for name in reading:
            if name != "optimizer":
                reading.copy(reading[name], writing, name)
        stored = reading["optimizer/vars"]
        arrays = {key: stored[str(index)][()] for index, key in enumerate(keys)}
        group = writing.create_group("optimizer/vars")
        for index, key in enumerate(old):
            group.create_dataset(str(index), data=arrays[key])
    members["model.weights.h5"] = target.getvalue()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return old


@pytest.mark.parametrize(
    "make",
    [
        lambda: optimizers.RMSprop(0.01, momentum=0.5, centered=True),
        lambda: optimizers.Adam(0.01, amsgrad=True, use_ema=True),
        lambda: optimizers.LossScaleOptimizer(optimizers.Adam(0.01, amsgrad=True)),
    ],
    ids=["rmsprop", "adam-amsgrad-ema", "loss-scale-adam-amsgrad"],
)
def test_older_learnet_keras_files_still_load(tmp_path, make):
    model = _trained(make())
    path = tmp_path / "old.keras"
    model.save(path)
    old = _as_older_learnet_file(path, model.optimizer)
    assert old != list(model.optimizer.get_state())  # the file really is in the other order
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = tf.keras.models.load_model(path)
    expected, got = model.optimizer.get_state(), loaded.optimizer.get_state()
    assert list(expected) == list(got)
    for key in expected:
        np.testing.assert_array_equal(got[key], expected[key], err_msg=key)


def test_older_learnet_h5_files_are_read_by_name(tmp_path):
    model = _trained(optimizers.Adam(0.01, amsgrad=True))
    path = tmp_path / "m.h5"
    model.save(path)
    keys = list(model.optimizer.get_state())
    old = keras_files._interleaved_order(keys, model.optimizer)
    with h5py.File(path, "r+") as handle:  # the weight names listed in the older, interleaved order
        group = handle["optimizer_weights"]
        names = [n.decode() if isinstance(n, bytes) else n for n in group.attrs["weight_names"]]
        by_key = dict(zip(keys, names))
        group.attrs["weight_names"] = [by_key[key].encode() for key in old]
    loaded = tf.keras.models.load_model(path)
    expected, got = model.optimizer.get_state(), loaded.optimizer.get_state()
    for key in expected:
        np.testing.assert_array_equal(got[key], expected[key], err_msg=key)


def test_learnet_format_state_saved_in_the_older_order_restores_by_name(tmp_path):
    model = _trained(optimizers.RMSprop(0.01, momentum=0.5, centered=True))
    state = model.optimizer.get_state()
    older = {key: state[key] for key in keras_files._interleaved_order(list(state), model.optimizer)}
    fresh = optimizers.RMSprop(0.01, momentum=0.5, centered=True)
    fresh.build(model.trainable_weights)
    fresh.set_state(older)
    for key, value in fresh.get_state().items():
        np.testing.assert_array_equal(value, state[key], err_msg=key)


# --- bad input ---------------------------------------------------------------------------------------
def test_an_older_learnet_file_that_does_not_fit_warns_and_changes_nothing(tmp_path):
    model = _trained(optimizers.Adam(0.01, amsgrad=True))
    path = tmp_path / "old.keras"
    model.save(path)
    _as_older_learnet_file(path, model.optimizer)
    # As many arrays as the file holds, but a Dense of 5 units where the file's had 4.
    other = tf.keras.Sequential(
        [tf.keras.Input((6, 6, 2)), tf.keras.layers.Conv2D(3, 3), tf.keras.layers.Flatten()]
        + [tf.keras.layers.Dense(5), tf.keras.layers.Dense(2)]
    )
    other.compile(optimizer=optimizers.Adam(0.01, amsgrad=True), loss="mse")
    other.optimizer.build(other.trainable_weights)
    before = other.optimizer.get_state()
    with zipfile.ZipFile(path) as archive, h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r") as handle:
        stored = handle["optimizer/vars"]
        sources = [(stored, str(i), f"optimizer/vars/{i}") for i in range(len(stored))]
        assert len(sources) == len(before)
        with pytest.warns(UserWarning, match="starts afresh"):
            keras_files._set_optimizer_state(other, sources, h5py, "load_model", keras_files._interleaved_order)
    for key, value in other.optimizer.get_state().items():
        np.testing.assert_array_equal(value, before[key])


def test_set_state_with_a_missing_slot_raises_and_changes_nothing():
    w = tf.Variable(np.ones(3, np.float32))
    optimizer = optimizers.Adam(0.1, amsgrad=True)
    optimizer.apply_gradients([(np.ones(3, np.float32), w)])
    before = optimizer.get_state()
    state = dict(before)
    state.pop("0/velocity_hat")
    state["0/momentum"] = np.full(3, 7.0, np.float32)
    with pytest.raises(ValueError, match="velocity_hat"):
        optimizer.set_state(state)
    for key, value in optimizer.get_state().items():
        np.testing.assert_array_equal(value, before[key])


def test_set_weights_in_the_wrong_order_raises_and_changes_nothing():
    w, b = tf.Variable(np.ones((2, 3), np.float32)), tf.Variable(np.ones(3, np.float32))
    optimizer = optimizers.RMSprop(0.1, momentum=0.5)
    optimizer.build([w, b])
    before = optimizer.get_weights()
    interleaved = [before[0], before[1], before[2], before[4], before[3], before[5]]  # w's slots, then b's
    with pytest.raises(ValueError, match="shape"):
        optimizer.set_weights([np.full_like(a, 5.0) for a in interleaved])
    for u, v in zip(optimizer.get_weights(), before):
        np.testing.assert_array_equal(u, v)
