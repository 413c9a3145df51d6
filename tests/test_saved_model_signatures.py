"""``tf.saved_model.save(model, folder, signatures=...)`` and the loaded signatures, against real TensorFlow.

The reference (tests/fixtures/saved_model_signature_reference.npz) holds what TensorFlow 2.21's
loaded signatures say of themselves (``structured_input_signature``, ``structured_outputs``) and
return, for the cases written in tests/fixtures/make_saved_model_signature_fixture.py; the same
code runs here with learnet.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import learnet as tf
from learnet.errors import InvalidArgumentError
from learnet.testing import check_gradients

FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
import make_saved_model_signature_fixture as cases  # noqa: E402 - found next to the fixture

REFERENCE = np.load(FIXTURES / "saved_model_signature_reference.npz")


# --- the same cases as TensorFlow ----------------------------------------------------------------
@pytest.mark.parametrize("case", cases.CASES, ids=lambda case: case.__name__)
def test_loaded_signatures_match_tensorflow(case, tmp_path):
    got = cases.run_case(tf, case, str(tmp_path / case.__name__))
    want = {key: REFERENCE[key] for key in REFERENCE.files if key.startswith(f"{case.__name__}/")}
    assert sorted(got) == sorted(want)
    for key, value in want.items():
        if key.endswith("/structure") or key.endswith("/names"):
            assert json.loads(str(got[key])) == json.loads(str(value)), key
        else:
            assert got[key].dtype == value.dtype, key
            np.testing.assert_allclose(got[key], value, rtol=1e-5, atol=1e-6, err_msg=key)


@pytest.mark.parametrize("case", cases.ERROR_CASES, ids=lambda case: case.__name__)
def test_mistakes_raise_the_error_tensorflow_raises(case, tmp_path):
    want = json.loads(str(REFERENCE["errors"]))[case.__name__]
    assert cases.run_error_case(tf, case, str(tmp_path / "out")) == want


# --- the brief's reproducer, in detail ---------------------------------------------------------------
def _classifier(tmp_path):
    model, signatures, _ = cases.classifier(tf)
    folder = tmp_path / "classifier"
    tf.saved_model.save(model, folder, signatures=signatures)
    return model, folder


def test_the_reproducer_prints_as_tensorflow(tmp_path):
    _, folder = _classifier(tmp_path)
    signature = tf.saved_model.load(folder).signatures["serving_default"]
    assert repr(signature.structured_input_signature) == (
        "((), {'image': TensorSpec(shape=(None, 4), dtype=tf.float32, name='image')})"
    )
    assert repr(signature.structured_outputs["label"]) == "TensorSpec(shape=(None,), dtype=tf.int64, name='label')"
    out = signature(image=tf.ones((2, 4)))
    assert sorted(out) == ["label", "scores"] and out["label"].dtype == tf.int64 and out["label"].shape == (2,)


def test_a_signature_with_one_input_takes_it_by_position_too(tmp_path):
    model, folder = _classifier(tmp_path)
    signature = tf.saved_model.load(folder).signatures["serving_default"]
    by_position = signature(cases.IMAGES)["scores"].numpy()
    np.testing.assert_allclose(by_position, model(cases.IMAGES).numpy(), rtol=1e-6)
    np.testing.assert_allclose(signature(image=cases.IMAGES.tolist())["scores"].numpy(), by_position, rtol=1e-6)


def test_the_signature_reads_the_loaded_models_weights(tmp_path):
    _, folder = _classifier(tmp_path)
    loaded = tf.saved_model.load(folder)
    signature = loaded.signatures["serving_default"]
    loaded.layers[0].kernel.assign(np.zeros((4, 3), "float32"))
    scores = signature(image=cases.IMAGES)["scores"].numpy()
    np.testing.assert_allclose(scores, np.tile(cases.BIAS, (2, 1)), rtol=1e-6)


def test_gradients_flow_through_a_loaded_signature(tmp_path):
    _, folder = _classifier(tmp_path)
    signature = tf.saved_model.load(folder).signatures["serving_default"]
    x = tf.constant(cases.IMAGES.astype("float32"))
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(signature(image=x)["scores"])
    np.testing.assert_allclose(tape.gradient(total, x).numpy(), np.tile(cases.KERNEL.sum(axis=1), (2, 1)), rtol=1e-5)


def test_signature_scores_gradient_is_numerically_right(tmp_path):
    # The loaded signature's "scores" output, differentiated numerically and by the tape.
    _, folder = _classifier(tmp_path)
    signature = tf.saved_model.load(folder).signatures["serving_default"]
    # The signature computes in float32: a wide step, on a function that is quadratic in x.
    check_gradients(
        lambda x: signature(image=tf.cast(x, tf.float32))["scores"] ** 2,
        [cases.IMAGES],
        eps=1e-2,
        atol=1e-3,
        rtol=1e-3,
    )


def test_signatures_survive_in_a_fresh_process(tmp_path):
    model, folder = _classifier(tmp_path)
    two, signature, _ = cases.two_inputs(tf)
    tf.saved_model.save(two, tmp_path / "two", signatures=signature)
    script = (
        "import json, sys, numpy as np, learnet as tf\n"
        "one = tf.saved_model.load(sys.argv[1]).signatures['serving_default']\n"
        "two = tf.saved_model.load(sys.argv[2]).signatures['serving_default']\n"
        "x = np.ones((2, 4), 'float32')\n"
        "out = one(image=x)\n"
        "pair = two(x=x, bee=np.ones((2, 2), 'float32'))\n"
        "print(json.dumps({'label': out['label'].numpy().tolist(), 'scores': out['scores'].numpy().tolist(),\n"
        "    'inputs': sorted(two.structured_input_signature[1]), 'output_1': pair['output_1'].numpy().tolist()}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(folder), str(tmp_path / "two")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    got = json.loads(result.stdout.strip().splitlines()[-1])
    x = np.ones((2, 4), "float32")
    np.testing.assert_allclose(got["scores"], model(x).numpy(), rtol=1e-6)
    assert got["label"] == np.argmax(model(x * 2.0).numpy(), axis=-1).tolist()
    assert got["inputs"] == ["bee", "x"]
    np.testing.assert_allclose(got["output_1"], two(x).numpy() + two.offset.numpy(), rtol=1e-6)


def test_a_variable_set_on_the_model_is_kept_with_its_value(tmp_path):
    two, signature, calls = cases.two_inputs(tf)
    tf.saved_model.save(two, tmp_path / "two", signatures=signature)
    two.offset.assign([0.0, 0.0, 0.0])  # after saving: the saved value is what loads back
    loaded = tf.saved_model.load(tmp_path / "two").signatures["serving_default"]
    got = loaded(**calls["serving_default"])["output_1"].numpy()
    np.testing.assert_allclose(got, two(cases.IMAGES).numpy() + [0.5, -1.0, 2.0], rtol=1e-6)


def test_the_default_signature_of_a_subclassed_model(tmp_path):
    class Doubler(tf.keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = tf.keras.layers.Dense(2)

        def call(self, x):
            return self.dense(x) * 2.0

        def get_config(self):
            return super().get_config()

    tf.keras.utils.register_keras_serializable("signature_tests")(Doubler)
    model = Doubler()
    model(np.ones((3, 5), "float32"))
    tf.saved_model.save(model, tmp_path / "doubler")
    signature = tf.saved_model.load(tmp_path / "doubler").signatures["serving_default"]
    assert list(signature.structured_input_signature[1]) == ["inputs"]
    assert signature.structured_input_signature[1]["inputs"].shape.as_list() == [None, 5]
    assert signature.structured_outputs == {"output_0": tf.TensorSpec((None, 2), tf.float32, name="output_0")}
    x = np.ones((4, 5), "float32")
    np.testing.assert_allclose(signature(inputs=x)["output_0"].numpy(), model(x).numpy(), rtol=1e-6)


def test_a_module_keeps_the_signature_interface(tmp_path):
    class Scale(tf.Module):
        def __init__(self):
            super().__init__()
            self.factor = tf.Variable(3.0)

        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32), tf.TensorSpec([None], tf.float32)])
        def __call__(self, a, b):
            return {"sum": (a + b) * self.factor}

    tf.saved_model.save(Scale(), tmp_path / "scale")
    signature = tf.saved_model.load(tmp_path / "scale").signatures["serving_default"]
    assert signature.structured_input_signature == (
        (),
        {"a": tf.TensorSpec([None], tf.float32, name="a"), "b": tf.TensorSpec([None], tf.float32, name="b")},
    )
    assert signature(a=[1.0], b=[2.0])["sum"].numpy().tolist() == [9.0]
    with pytest.raises(TypeError, match="takes 0 positional arguments"):
        signature([1.0], [2.0])


# --- clear errors, nothing changed ----------------------------------------------------------------------
def test_a_signature_without_input_signature_writes_nothing(tmp_path):
    model = cases._dense_model(tf)

    @tf.function
    def bare(x):
        return model(x)

    with pytest.raises(ValueError, match="Only `tf.functions` with an input signature or concrete functions"):
        tf.saved_model.save(model, tmp_path / "bare", signatures={"serving_default": bare})
    assert not (tmp_path / "bare").exists()


def test_a_signature_returning_none_names_the_key(tmp_path):
    with pytest.raises(ValueError, match="non-Tensor value for key 'output_0'.*'serving_default'"):
        cases.returns_none(tf, str(tmp_path / "none"))
    assert not (tmp_path / "none").exists()


def test_a_signature_name_must_be_text(tmp_path):
    model, signatures, _ = cases.classifier(tf)
    with pytest.raises(ValueError, match="names of signatures are strings"):
        tf.saved_model.save(model, tmp_path / "named", signatures={1: signatures["serving_default"]})
    assert not (tmp_path / "named").exists()


def test_calling_mistakes_say_what_the_inputs_are(tmp_path):
    two, signature, _ = cases.two_inputs(tf)
    tf.saved_model.save(two, tmp_path / "two", signatures=signature)
    loaded = tf.saved_model.load(tmp_path / "two").signatures["serving_default"]
    before = [v.numpy().copy() for v in tf.saved_model.load(tmp_path / "two").variables]
    with pytest.raises(TypeError, match=r"takes 0 positional arguments, got 2.*x=\.\.\., bee=\.\.\."):
        loaded(cases.IMAGES, cases.EXTRA)
    with pytest.raises(TypeError, match=r"unexpected keyword arguments: y \(its inputs are \['x', 'bee'\]\)"):
        loaded(x=cases.IMAGES, y=cases.EXTRA)
    with pytest.raises(TypeError, match="missing required arguments: bee"):
        loaded(x=cases.IMAGES)
    with pytest.raises(InvalidArgumentError, match="'x' must fit TensorSpec\\(shape=\\(None, 4\\)"):
        loaded(x=np.ones((2, 5), "float32"), bee=cases.EXTRA)
    with pytest.raises(InvalidArgumentError, match="got a float64 tensor"):
        loaded(x=tf.cast(cases.IMAGES, tf.float64), bee=cases.EXTRA)
    after = [v.numpy() for v in tf.saved_model.load(tmp_path / "two").variables]
    for old, new in zip(before, after):
        np.testing.assert_array_equal(old, new)


def test_a_damaged_signature_file_is_a_clear_error(tmp_path):
    _, folder = _classifier(tmp_path)
    (folder / "signatures.npz").write_bytes(b"not an archive")
    with pytest.raises(InvalidArgumentError, match="signatures saved in .* cannot be read"):
        tf.saved_model.load(folder)


def test_a_concrete_function_with_a_python_value_fixed(tmp_path):
    model = cases._dense_model(tf)

    @tf.function
    def scaled(x, scale):
        return {"scaled": model(x) * scale}

    concrete = scaled.get_concrete_function(x=tf.TensorSpec([None, 4], tf.float32), scale=3.0)
    tf.saved_model.save(model, tmp_path / "scaled", signatures={"scaled": concrete})
    signature = tf.saved_model.load(tmp_path / "scaled").signatures["scaled"]
    assert list(signature.structured_input_signature[1]) == ["x"]
    got = signature(x=cases.IMAGES)["scaled"].numpy()
    np.testing.assert_allclose(got, model(cases.IMAGES).numpy() * 3.0, rtol=1e-6)


def test_an_exported_model_loads_with_its_serve_endpoint(tmp_path):
    # TF 2.21: tf.saved_model.load(model.export(...) folder).serve(x) gives the predictions.
    model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(4)])
    model.export(str(tmp_path / "exported"), verbose=False)
    loaded = tf.saved_model.load(str(tmp_path / "exported"))
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(loaded.serve(tf.constant(x)).numpy(), model(x).numpy(), rtol=1e-6)
    assert tf.saved_model.DEFAULT_SERVING_SIGNATURE_DEF_KEY in loaded.signatures
    tf.saved_model.save(model, str(tmp_path / "saved"))
    assert not hasattr(tf.saved_model.load(str(tmp_path / "saved")), "serve")  # only export makes it


def test_a_subclassed_model_of_this_program_loads_without_custom_objects(tmp_path):
    class Subclassed(tf.keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = tf.keras.layers.Dense(5)

        def call(self, x):
            return self.dense(x)

    model = Subclassed()
    x = np.ones((2, 3), "float32")
    expected = model(x).numpy()
    tf.saved_model.save(model, str(tmp_path / "sub"))
    loaded = tf.saved_model.load(str(tmp_path / "sub"))
    np.testing.assert_allclose(loaded(x).numpy(), expected, rtol=1e-6)
    assert loaded.signatures["serving_default"](tf.constant(x))["output_0"].shape == (2, 5)


def test_the_saved_model_constants_are_tensorflows():
    assert tf.saved_model.DEFAULT_SERVING_SIGNATURE_DEF_KEY == "serving_default"
    assert (tf.saved_model.SERVING, tf.saved_model.TRAINING) == ("serve", "train")
    assert tf.saved_model.PREDICT_METHOD_NAME == "tensorflow/serving/predict"
