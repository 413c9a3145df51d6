"""keras.backend.result_type and the dtypes keras.ops give, against Keras 3 on TensorFlow.

The reference (fixtures/make_result_type_fixture.py) holds what Keras 3.15 on TensorFlow gives
every pair of dtypes and Python numbers, and ``keras.ops.add`` / ``multiply`` of a tensor and a
number: ``int32 * 2.5`` is float32 (2.5, not 2), ``int8 + uint8`` int16, ``int32 + float16``
float16.
"""

import json
from pathlib import Path

import numpy as np
import pytest

import learnet as keras
from learnet import keras_backend

REFERENCE = json.loads((Path(__file__).resolve().parent / "fixtures" / "keras_result_type_reference.json").read_text())
KINDS = {"int": int, "float": float}


def _argument(kind):
    return KINDS.get(kind, kind)


@pytest.mark.parametrize("pair", sorted(REFERENCE["pairs"]))
def test_every_pair_promotes_as_in_keras(pair):
    first, second = pair.split(",")
    assert keras_backend.result_type(_argument(first), _argument(second)) == REFERENCE["pairs"][pair]


def test_one_dtype_none_and_no_dtype():
    for kind, expected in REFERENCE["single"].items():
        assert keras_backend.result_type(_argument(kind)) == expected, kind
    assert keras_backend.result_type() == REFERENCE["empty"] == "float32"
    assert keras_backend.result_type(None, "int8") == "float32"
    assert keras_backend.result_type(np.float16, np.dtype("int32")) == "float16"


def test_several_dtypes_at_once():
    assert keras_backend.result_type("int8", "uint8", "float16") == "float16"
    assert keras_backend.result_type("int8", int, float) == "float32"


@pytest.mark.parametrize("bad", ["float8_e4m3fn", "string", "no_such_type"])
def test_what_keras_does_not_promote_is_refused(bad):
    with pytest.raises(ValueError):
        keras_backend.result_type(bad, "float32")


NUMBER_CASES = sorted(k for k in REFERENCE["numbers"] if k.split(",")[1] != "bfloat16")


@pytest.mark.parametrize("case", NUMBER_CASES)
def test_a_tensor_and_a_python_number_as_in_keras(case):
    op, dtype, kind = case.split(",")
    number = {"int": 2, "float": 2.5}[kind]
    x = keras.ops.ones((2,), dtype=dtype)
    result = getattr(keras.ops, op)(x, number)
    assert keras_backend.standardize_dtype(result.dtype) == REFERENCE["numbers"][case]
    expected = (1 + number) if op == "add" else number
    if result.dtype.kind in "fc":
        np.testing.assert_allclose(np.asarray(result), [expected, expected], rtol=1e-2)
    reverse = getattr(keras.ops, op)(number, x)  # the number first: the same dtype
    assert reverse.dtype == result.dtype


def test_the_numbers_are_not_cut_to_integers():
    x = keras.ops.ones((2,), dtype="int32")
    np.testing.assert_array_equal(keras.ops.multiply(x, 2.5), [2.5, 2.5])
    np.testing.assert_array_equal(keras.ops.add(x, 0.5), [1.5, 1.5])
    assert keras.ops.add(x, 2).dtype == np.int32  # an int gives way to the tensor


def test_two_tensors_meet_in_keras_dtype():
    i8, u8 = keras.ops.ones((2,), dtype="int8"), keras.ops.ones((2,), dtype="uint8")
    assert keras.ops.add(i8, u8).dtype == np.int16
    i32, f16 = keras.ops.ones((2,), dtype="int32"), keras.ops.ones((2,), dtype="float16")
    assert keras.ops.multiply(i32, f16).dtype == np.float16
    i64, f32 = keras.ops.ones((2,), dtype="int64"), keras.ops.ones((2,), dtype="float32")
    assert keras.ops.subtract(i64, f32).dtype == np.float32
