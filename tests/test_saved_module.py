"""tf.saved_model.save / load of a tf.Module: attributes, variables and tf.functions come back
and compute what the original computed, with no Python code stored."""

import json
import os

import numpy as np
import pytest

import learnet as tf
from learnet import saved_function

RNG = np.random.default_rng(3)


class Affine(tf.Module):
    """y = x @ w + b, with a normalisation held as constants and a Keras layer beside it."""

    def __init__(self):
        super().__init__()
        self.w = tf.Variable(RNG.normal(size=(3, 2)).astype("float32"), name="w")
        self.b = tf.Variable(np.zeros(2, "float32"), name="b")
        self.mean = tf.constant([1.0, 2.0, 3.0])
        self.dense = tf.keras.layers.Dense(4, activation="relu")
        self.steps = [tf.Variable(1.0), tf.Variable(2.0)]

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    def __call__(self, x):
        return tf.matmul(x - self.mean, self.w) + self.b

    @tf.function
    def features(self, x):
        return self.dense(x) * self.steps[1]


def _saved(module, tmp_path, **kwargs):
    folder = str(tmp_path / "saved")
    tf.saved_model.save(module, folder, **kwargs)
    return folder, tf.saved_model.load(folder)


def test_a_module_comes_back_with_its_functions_and_variables(tmp_path):
    module = Affine()
    x = tf.constant(RNG.normal(size=(5, 3)).astype("float32"))
    features = module.features(x)  # a call traces this shape, as TensorFlow would
    folder, restored = _saved(module, tmp_path)
    np.testing.assert_allclose(restored(x).numpy(), module(x).numpy(), rtol=1e-6)
    other_batch = tf.constant(RNG.normal(size=(2, 3)).astype("float32"))
    np.testing.assert_allclose(restored(other_batch).numpy(), module(other_batch).numpy(), rtol=1e-6)
    np.testing.assert_allclose(restored.features(x).numpy(), features.numpy(), rtol=1e-6)
    np.testing.assert_array_equal(restored.w.numpy(), module.w.numpy())
    assert float(restored.steps[1]) == 2.0
    assert np.array_equal(restored.dense.kernel.numpy(), module.dense.kernel.numpy())
    assert len(restored.trainable_variables) == len(module.trainable_variables)
    # the file holds data, not code
    description = json.load(open(os.path.join(folder, "saved_model.json")))
    ops = {node["op"] for f in description["functions"].values() for g in f["graphs"] for node in g["nodes"]}
    assert all(op.startswith("learnet.") and ":" in op for op in ops)


def test_restored_functions_read_the_variables_current_values_and_give_gradients(tmp_path):
    _, restored = _saved(Affine(), tmp_path)
    x = tf.constant(np.ones((2, 3), "float32"))
    restored.b.assign([10.0, 20.0])
    before = restored(x).numpy()
    restored.b.assign([0.0, 0.0])
    np.testing.assert_allclose(before - restored(x).numpy(), [[10.0, 20.0]] * 2)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(restored(x))
    grad_w, grad_b = tape.gradient(loss, [restored.w, restored.b])
    np.testing.assert_allclose(grad_b.numpy(), [2.0, 2.0])
    np.testing.assert_allclose(grad_w.numpy(), np.repeat((1.0 - np.array([1.0, 2.0, 3.0]))[:, None] * 2, 2, axis=1))


def test_an_input_outside_the_saved_signatures_is_refused(tmp_path):
    module = Affine()
    module.features(tf.ones([5, 3]))
    _, restored = _saved(module, tmp_path)
    with pytest.raises(ValueError, match="Could not find matching concrete function"):
        restored.features(tf.ones([5, 7]))
    with pytest.raises(ValueError, match="Could not find matching concrete function"):
        restored(tf.ones([2, 4]))


def test_the_one_function_with_a_signature_is_the_default_signature(tmp_path):
    _, restored = _saved(Affine(), tmp_path)
    out = restored.signatures["serving_default"](x=tf.ones([2, 3]))
    assert list(out) == ["output_0"] and out["output_0"].shape == (2, 2)


def test_signatures_given_to_save(tmp_path):
    module = Affine()
    concrete = module.features.get_concrete_function(tf.TensorSpec([None, 3], tf.float32))
    _, restored = _saved(module, tmp_path, signatures={"features": concrete, "affine": module.__call__})
    assert sorted(restored.signatures) == ["affine", "features"]
    got = restored.signatures["features"](x=tf.ones([4, 3]))["output_0"]
    np.testing.assert_allclose(got.numpy(), module.features(tf.ones([4, 3])).numpy(), rtol=1e-6)


def test_sizes_that_follow_the_batch_are_kept_as_the_batch_size(tmp_path):
    class Flatten(tf.Module):
        def __init__(self):
            super().__init__()
            self.scale = tf.Variable(2.0)

        @tf.function(input_signature=[tf.TensorSpec([None, 2, 2], tf.float32)])
        def __call__(self, x):
            return tf.reshape(x, [x.shape[0], -1]) * self.scale

    _, restored = _saved(Flatten(), tmp_path)
    assert restored(tf.ones([3, 2, 2])).shape == (3, 4)
    assert restored(tf.ones([6, 2, 2])).shape == (6, 4)


def test_dicts_tuples_and_integers_go_through(tmp_path):
    class Parts(tf.Module):
        def __init__(self):
            super().__init__()
            self.offset = tf.Variable(1)

        @tf.function(input_signature=[tf.TensorSpec([None], tf.int32), tf.TensorSpec([2], tf.float32)])
        def split(self, ids, pair):
            return {"next": ids + self.offset, "pair": (tf.reduce_sum(ids), pair[::-1])}

    _, restored = _saved(Parts(), tmp_path)
    out = restored.split(tf.constant([1, 2, 3]), tf.constant([1.0, 2.0]))
    assert out["next"].numpy().tolist() == [2, 3, 4] and out["next"].dtype == tf.int32
    assert int(out["pair"][0]) == 6 and out["pair"][1].numpy().tolist() == [2.0, 1.0]


def test_text_results_that_follow_the_inputs_are_refused(tmp_path):
    class Shout(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([], tf.string)])
        def __call__(self, word):
            return tf.strings.upper(word)

    with pytest.raises(ValueError, match="tf.strings"):
        tf.saved_model.save(Shout(), str(tmp_path / "shout"))


def test_a_variable_held_twice_is_stored_once_and_shared(tmp_path):
    class Twice(tf.Module):
        def __init__(self):
            super().__init__()
            self.v = tf.Variable(5.0)
            self.again = [self.v]

        @tf.function(input_signature=[])
        def read(self):
            return self.v * 1.0

    _, restored = _saved(Twice(), tmp_path)
    assert restored.again[0] is restored.v
    restored.again[0].assign(7.0)
    assert float(restored.read()) == 7.0


def test_a_function_that_decides_in_python_from_its_inputs_is_refused_and_nothing_is_written(tmp_path):
    class Branchy(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
        def __call__(self, x):
            if float(tf.reduce_sum(x)) > 3.0:  # a Python decision on the values
                return x * 2.0
            return x - 1.0

    folder = tmp_path / "branchy"
    with pytest.raises(ValueError, match="Python"):
        tf.saved_model.save(Branchy(), str(folder))
    assert not folder.exists()


def test_an_op_without_a_lasting_name_is_refused(tmp_path):
    from learnet.tape import primitive

    @primitive
    def local_double(x):  # made inside a function: no module holds it by name, so nothing could load it
        return x * 2, lambda g, x, out: g * 2

    class Custom(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([2], tf.float32)])
        def __call__(self, x):
            return local_double(x) * 2.0

    with pytest.raises(saved_function.GraphError, match="primitive"):
        tf.saved_model.save(Custom(), str(tmp_path / "custom"))


def test_an_object_with_nothing_to_save_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no variables"):
        tf.saved_model.save(tf.Module(), str(tmp_path / "empty"))
    with pytest.raises(ValueError, match="expects a tf.Module"):
        tf.saved_model.save([tf.Variable(1.0)], str(tmp_path / "list"))


def test_a_saved_graph_naming_anything_outside_learnets_ops_is_refused(tmp_path):
    folder, _ = _saved(Affine(), tmp_path)
    path = os.path.join(folder, "saved_model.json")
    description = json.load(open(path))
    graph = description["functions"]["__call__"]["graphs"][0]
    for hostile in ("os:system", "builtins:eval", "learnet.ops.math:__class__", "learnet..x:y"):
        graph["nodes"][0]["op"] = hostile
        json.dump(description, open(path, "w"))
        restored = tf.saved_model.load(folder)
        with pytest.raises(saved_function.GraphError, match="does not have"):
            restored(tf.ones([1, 3]))


def test_a_damaged_directory_is_refused_clearly(tmp_path):
    folder, _ = _saved(Affine(), tmp_path)
    with open(os.path.join(folder, "variables.npz"), "wb") as stream:
        stream.write(b"not an archive")
    with pytest.raises(tf.errors.InvalidArgumentError, match="not a readable learnet saved object"):
        tf.saved_model.load(folder)
    with pytest.raises(OSError, match="not a directory written by learnet"):
        tf.saved_model.load(str(tmp_path / "nowhere"))


def test_keras_models_still_save_as_before(tmp_path):
    model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2)])
    folder, restored = _saved(model, tmp_path)
    assert os.path.isfile(os.path.join(folder, "model.learnet"))
    np.testing.assert_allclose(restored(np.ones((1, 3), "float32")).numpy(), model(np.ones((1, 3), "float32")).numpy())


class Counter(tf.Module):
    def __init__(self):
        super().__init__()
        self.v = tf.Variable(1.0)

    @tf.function
    def __call__(self, x):
        return x * self.v

    @tf.function(input_signature=[tf.TensorSpec([], tf.float32)])
    def mutate(self, new_v):
        self.v.assign(new_v)
        self.v.assign_add(1.0)


def test_a_function_that_updates_variables_updates_the_restored_ones(tmp_path):
    module = Counter()
    module(tf.constant(0.0))
    _, restored = _saved(module, tmp_path)
    assert float(module.v) == 1.0  # tracing the update changed nothing in the original
    assert float(restored(tf.constant(3.0))) == 3.0
    restored.mutate(tf.constant(2.0))
    assert float(restored.v) == 3.0 and float(restored(tf.constant(3.0))) == 9.0
    # no function here both has an input_signature and returns tensors: no default signature
    assert len(restored.signatures) == 0


def test_a_concrete_function_as_signature_and_its_outputs(tmp_path):
    module = Counter()
    call = module.__call__.get_concrete_function(tf.TensorSpec([None], tf.float32))
    _, restored = _saved(module, tmp_path, signatures=call)
    assert list(restored.signatures) == ["serving_default"]
    signature = restored.signatures["serving_default"]
    assert signature(x=tf.constant([1.0, 2.0]))["output_0"].numpy().tolist() == [1.0, 2.0]
    assert signature.structured_outputs["output_0"].dtype == tf.float32
    assert list(signature.structured_input_signature[1]) == ["x"]


def test_a_trace_prints_once(tmp_path, capsys):
    class Loud(tf.Module):
        def __init__(self):
            super().__init__()
            self.v = tf.Variable(2.0)

        @tf.function(input_signature=[tf.TensorSpec([], tf.float32)])
        def __call__(self, x):
            print("tracing")
            return x * self.v

    tf.saved_model.save(Loud(), str(tmp_path / "loud"))
    assert capsys.readouterr().out.count("tracing") == 1


def test_save_format_tf_writes_a_saved_model_directory_that_load_model_reads(tmp_path):
    model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    folder = tmp_path / "my_model" / "0001"
    model.save(folder, save_format="tf")
    assert (folder / "saved_model.json").is_file()
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(tf.keras.models.load_model(folder).predict(x, verbose=0), model.predict(x, verbose=0))
    np.testing.assert_allclose(tf.saved_model.load(str(folder))(x).numpy(), model(x).numpy())
    with pytest.raises(ValueError, match="save_format"):
        model.save(tmp_path / "other.keras", save_format="pickle")
    module_folder = tmp_path / "module"
    tf.saved_model.save(Affine(), str(module_folder))
    with pytest.raises(ValueError, match="tf.saved_model.load"):
        tf.keras.models.load_model(module_folder)


def test_an_object_met_first_where_it_is_not_stored_is_stored_where_it_is_met_next(tmp_path):
    class Holder(tf.Module):
        def __init__(self, helper):
            super().__init__()
            self._helper = helper  # private and empty: not stored here
            self.v = tf.Variable(1.0)

    class Root(tf.Module):
        def __init__(self):
            super().__init__()
            shared = tf.Module(name="shared")
            self.x = Holder(shared)
            self.y = shared  # met again, under a name that is stored

    _, restored = _saved(Root(), tmp_path)
    assert isinstance(restored.y, tf.Module) and float(restored.x.v) == 1.0
