"""tf.random.Generator, the stateless random ops and the stateless image augmentations.

Behaviour checked against TensorFlow 2.21's: the state layout and how each call moves it,
what ``split`` does to the parent, the shapes and dtypes of ``make_seeds`` and of every op,
and the errors for bad input (which change nothing). The numbers themselves are learnet's
own (NumPy's Philox), not TensorFlow's.
"""

import numpy as np
import pytest

import learnet as tf
from learnet import random_generator
from learnet.testing import check_gradients

# --- helpers ----------------------------------------------------------------------------------------


def state(generator):
    return generator.state.numpy().tolist()


def same(a, b):
    return np.array_equal(np.asarray(a.numpy()), np.asarray(b.numpy()))


@pytest.fixture
def keep_global_generator():
    saved = random_generator._global_generator, random_generator._global_is_learnets
    yield
    random_generator._global_generator, random_generator._global_is_learnets = saved


# --- making a Generator ----------------------------------------------------------------------------


def test_two_generators_from_the_same_seed_give_the_same_sequence():
    g1, g2 = tf.random.Generator.from_seed(1), tf.random.Generator.from_seed(1)
    for shape in ([2, 3], [], [5]):
        assert same(g1.normal(shape), g2.normal(shape))
    assert same(g1.uniform([4]), g2.uniform([4]))
    assert not same(tf.random.Generator.from_seed(1).normal([8]), tf.random.Generator.from_seed(2).normal([8]))


def test_the_state_is_an_int64_variable_laid_out_as_tensorflow_lays_it_out():
    g = tf.random.Generator.from_seed(1)
    assert isinstance(g.state, tf.Variable) and not g.state.trainable
    assert g.state.dtype == np.int64 and g.state.shape == (3,)
    assert state(g) == [1, 0, 0] and g.algorithm == 1 and int(g.key) == 0
    threefry = tf.random.Generator.from_seed(1, alg="threefry")
    assert threefry.algorithm == 2 and state(threefry) == [1, 0]


def test_a_draw_advances_the_counter_by_256_per_number():
    g = tf.random.Generator.from_seed(1)
    g.normal([])
    assert state(g) == [257, 0, 0]
    g.normal([2, 3])
    assert state(g) == [257 + 6 * 256, 0, 0]
    g.uniform([4], minval=0, maxval=10, dtype=tf.int32)
    assert state(g) == [257 + 10 * 256, 0, 0]
    first, second = g.normal([3]), g.normal([3])
    assert not same(first, second)


def test_the_algorithm_is_named_by_string_enum_or_id():
    for alg, expected in [
        ("philox", 1),
        ("PHILOX", 1),
        ("threefry", 2),
        ("auto_select", 3),
        (tf.random.Algorithm.PHILOX, 1),
        (tf.random.Algorithm.THREEFRY, 2),
        (tf.random.Algorithm.AUTO_SELECT, 3),
        (1, 1),
        (None, 1),
    ]:
        assert tf.random.Generator.from_seed(3, alg=alg).algorithm == expected
    assert [a.value for a in tf.random.Algorithm] == [1, 2, 3]
    assert tf.random.experimental.Algorithm is tf.random.Algorithm
    # ThreeFry has its own stream; auto-select draws as Philox does.
    philox = tf.random.Generator.from_seed(3, alg="philox").normal([4])
    assert same(philox, tf.random.Generator.from_seed(3, alg="auto_select").normal([4]))
    assert not same(philox, tf.random.Generator.from_key_counter(0, [3], "threefry").normal([4]))
    with pytest.raises(ValueError, match="alg must be"):
        tf.random.Generator.from_seed(1, alg="mersenne")
    with pytest.raises(ValueError, match="alg must be"):
        tf.random.Generator.from_seed(1, alg=7)


def test_from_seed_turns_any_int_or_list_into_a_state():
    assert state(tf.random.Generator.from_seed(2**64 + 3)) == [3, 1, 0]
    assert state(tf.random.Generator.from_seed(-5)) == [-5, -1, -1]
    assert state(tf.random.Generator.from_seed(2**63)) == [-(2**63), 0, 0]
    assert state(tf.random.Generator.from_seed([1, 2])) == [0, 1, 2]  # padded on the left
    assert state(tf.random.Generator.from_seed([1, 2, 3, 4, 5])) == [1, 2, 3]
    assert state(tf.random.Generator.from_seed(np.int64(7))) == [7, 0, 0]
    for bad in (1.5, "1", None, True):
        with pytest.raises(TypeError, match="Generator.from_seed"):
            tf.random.Generator.from_seed(bad)


def test_create_rng_state():
    assert tf.random.create_rng_state(1234, "philox").numpy().tolist() == [1234, 0, 0]
    assert tf.random.create_rng_state([12, 34], "threefry").numpy().tolist() == [12, 34]
    assert tf.random.create_rng_state(1, "auto_select").numpy().tolist() == [1, 0, 0]
    assert tf.random.create_rng_state(1, "philox").dtype == np.int64
    assert tf.random.experimental.create_rng_state is tf.random.create_rng_state
    with pytest.raises(TypeError, match="create_rng_state"):
        tf.random.create_rng_state(0.5, "philox")


def test_from_state_from_key_counter_and_copy_from():
    g = tf.random.Generator.from_state([1, 2, 3], "philox")
    assert state(g) == [1, 2, 3] and int(g.key) == 3
    assert state(tf.random.Generator.from_state(np.array([1, 2, 3], np.int32), 1)) == [1, 2, 3]
    assert state(tf.random.Generator.from_key_counter(5, [1, 2], "philox")) == [1, 2, 5]
    assert state(tf.random.Generator.from_key_counter(5, [1], "threefry")) == [1, 5]
    copy = tf.random.Generator(copy_from=g)
    assert state(copy) == state(g) and copy.state is not g.state
    assert same(copy.normal([3]), g.normal([3]))
    shared = tf.Variable(np.array([0, 0, 9], np.int64), trainable=False)
    on_variable = tf.random.Generator(state=shared, alg="philox")
    on_variable.normal([])
    assert shared.numpy().tolist() == [256, 0, 9]  # a Variable state is used, not copied
    with pytest.raises(ValueError, match=r"shape \[3\]"):
        tf.random.Generator.from_state([1, 2], "philox")
    with pytest.raises(ValueError, match="counter"):
        tf.random.Generator.from_key_counter(5, [1, 2, 3], "philox")
    with pytest.raises(ValueError, match="key must be a scalar"):
        tf.random.Generator.from_key_counter([5, 6], [1, 2], "philox")
    with pytest.raises(TypeError, match="integers"):
        tf.random.Generator.from_state([1.0, 2.0, 3.0], "philox")
    with pytest.raises(ValueError, match="state and alg"):
        tf.random.Generator(state=[1, 2, 3])


def test_from_non_deterministic_state_differs_each_time():
    a = tf.random.Generator.from_non_deterministic_state()
    b = tf.random.Generator.from_non_deterministic_state()
    assert state(a) != state(b) and a.algorithm == 1
    assert tf.random.Generator.from_non_deterministic_state("threefry").state.shape == (2,)
    assert not same(a.normal([4]), b.normal([4]))


# --- changing the state ----------------------------------------------------------------------------


def test_reset_from_seed_starts_the_stream_again():
    g = tf.random.Generator.from_seed(1)
    first = g.normal([])
    assert not same(g.normal([]), first)
    g.reset_from_seed(1)
    assert same(g.normal([]), first)
    g.reset([1, 0, 0])
    assert same(g.normal([]), first)
    g.reset_from_key_counter(0, [1, 0])
    assert same(g.normal([]), first)


def test_skip_leaves_the_generator_where_a_draw_would():
    g1, g2 = tf.random.Generator.from_seed(1), tf.random.Generator.from_seed(1)
    g1.normal([3])
    before = g2.skip(3)
    assert before.numpy().tolist() == [1, 0, 0]
    assert state(g1) == state(g2)
    assert same(g1.normal([2]), g2.normal([2]))
    g2.skip(-2)
    g2.skip(2)
    assert state(g1) == state(g2)
    # The counter is 128 bits: it carries into its second word.
    big = tf.random.Generator.from_state([-1, 0, 7], "philox")
    big.skip(1)
    assert state(big) == [255, 1, 7]


def test_bad_input_is_refused_and_changes_nothing():
    g = tf.random.Generator.from_seed(1)
    g.normal([2])
    before = state(g)
    refused = [
        (lambda: g.normal([2], mean=[1.0, 2.0, 3.0]), ValueError),
        (lambda: g.normal([2], dtype=tf.int32), ValueError),
        (lambda: g.normal([-1]), ValueError),
        (lambda: g.uniform([4], dtype=tf.int32), ValueError),
        (lambda: g.uniform([4], minval=5, maxval=1, dtype=tf.int32), ValueError),
        (lambda: g.uniform([4], minval=0, maxval=10, dtype=tf.int8), ValueError),
        (lambda: g.uniform([4], minval=None, maxval=None), ValueError),
        (lambda: g.uniform_full_int([3], dtype=tf.float32), ValueError),
        (lambda: g.binomial([3], counts=10.0, probs=1.5), ValueError),
        (lambda: g.binomial([3], counts=[1.0, 2.0], probs=0.5), ValueError),
        (lambda: g.truncated_normal([2], dtype="bool"), ValueError),
        (lambda: g.make_seeds(-1), ValueError),
        (lambda: g.split(-1), ValueError),
        (lambda: g.skip(1.5), TypeError),
        (lambda: g.reset([1, 2]), ValueError),
        (lambda: g.reset_from_seed("seed"), TypeError),
    ]
    for call, error in refused:
        with pytest.raises(error, match="Generator"):
            call()
        assert state(g) == before


# --- drawing -------------------------------------------------------------------------------------


def test_normal_dtypes_shapes_and_statistics():
    g = tf.random.Generator.from_seed(7)
    assert g.normal([2, 3]).dtype == np.float32 and g.normal([2, 3]).shape == (2, 3)
    assert g.normal([]).shape == ()
    assert g.normal(tf.constant([2, 2])).shape == (2, 2)
    assert g.normal([2], dtype=tf.float64).dtype == np.float64
    assert g.normal([2], dtype=tf.float16).dtype == np.float16
    x = g.normal([200_000], mean=3.0, stddev=2.0).numpy()
    assert abs(x.mean() - 3.0) < 0.02 and abs(x.std() - 2.0) < 0.02
    both = g.normal([10_000, 2], mean=[-5.0, 5.0]).numpy()
    assert both[:, 0].mean() < -4.9 and both[:, 1].mean() > 4.9


def test_truncated_normal_stays_within_two_stddevs():
    g = tf.random.Generator.from_seed(7)
    x = g.truncated_normal([100_000], mean=1.0, stddev=3.0).numpy()
    assert x.dtype == np.float32
    assert x.min() >= 1.0 - 6.0 and x.max() <= 1.0 + 6.0
    assert abs(x.mean() - 1.0) < 0.05 and abs(x.std() - 3.0 * 0.8796) < 0.05
    assert g.truncated_normal([3], dtype=tf.float64).dtype == np.float64


def test_uniform_floats_and_ints():
    g = tf.random.Generator.from_seed(7)
    x = g.uniform([100_000]).numpy()
    assert x.dtype == np.float32 and x.min() >= 0 and x.max() < 1 and abs(x.mean() - 0.5) < 0.01
    y = g.uniform([10_000], minval=-2.0, maxval=3.0, dtype=tf.float64).numpy()
    assert y.dtype == np.float64 and y.min() >= -2 and y.max() < 3
    assert g.uniform([5], maxval=5.0).numpy().max() < 5
    h = g.uniform([1000], dtype=tf.float16).numpy()
    assert h.dtype == np.float16 and h.min() >= 0 and h.max() < 1
    for dtype in (tf.int32, tf.int64, tf.uint32, tf.uint64):
        ints = g.uniform([10_000], minval=2, maxval=7, dtype=dtype).numpy()
        assert ints.dtype == dtype and set(ints.tolist()) == {2, 3, 4, 5, 6}
    full = g.uniform([10_000], minval=None, maxval=None, dtype=tf.int32).numpy()
    assert full.dtype == np.int32 and full.min() < -(2**30) and full.max() > 2**30


def test_uniform_full_int():
    g = tf.random.Generator.from_seed(7)
    assert g.uniform_full_int([3]).dtype == np.uint64
    for dtype in (tf.int32, tf.int64, tf.uint32, tf.uint64):
        values = g.uniform_full_int([2000], dtype=dtype).numpy()
        info = np.iinfo(dtype)
        assert values.dtype == dtype
        assert values.min() < info.min + (info.max - info.min) // 8 and values.max() > info.max - (info.max // 8)


def test_binomial():
    g = tf.random.Generator.from_seed(7)
    x = g.binomial([50_000, 3], counts=[10.0, 20.0, 30.0], probs=0.5)
    assert x.dtype == np.int32 and x.shape == (50_000, 3)
    means = x.numpy().mean(axis=0)
    assert np.allclose(means, [5, 10, 15], atol=0.1)
    assert x.numpy().min() >= 0 and (x.numpy() <= [10, 20, 30]).all()
    assert g.binomial([3], counts=10, probs=0.5, dtype=tf.int64).dtype == np.int64
    assert g.binomial([3], counts=10.0, probs=0.5, dtype=tf.float32).dtype == np.float32


# --- seeds and splits -----------------------------------------------------------------------------


def test_make_seeds_gives_int64_columns_of_seeds():
    g = tf.random.Generator.from_seed(1)
    seeds = g.make_seeds()
    assert seeds.shape == (2, 1) and seeds.dtype == np.int64
    seeds = g.make_seeds(3)
    assert seeds.shape == (2, 3) and (seeds.numpy()[1] == 0).all()
    assert len(set(seeds.numpy()[0].tolist())) == 3
    assert state(g) == [1 + 4 * 256, 0, 0]
    assert tf.random.stateless_normal([2], seed=seeds[:, 0]).shape == (2,)
    assert tf.random.Generator.from_seed(1).make_seeds(0).shape == (2, 0)
    again = tf.random.Generator.from_seed(1)
    again.make_seeds()
    assert same(again.make_seeds(3), seeds)


def test_split_makes_independent_generators_and_advances_the_parent():
    g = tf.random.Generator.from_seed(1)
    children = g.split(3)
    assert len(children) == 3 and all(isinstance(c, tf.random.Generator) for c in children)
    assert state(g) == [1 + 3 * 256, 0, 0]
    assert all(state(c)[:2] == [0, 0] and c.algorithm == g.algorithm for c in children)
    draws = [c.normal([16]).numpy() for c in children] + [g.normal([16]).numpy()]
    assert all(not np.array_equal(a, b) for i, a in enumerate(draws) for b in draws[i + 1 :])
    again = tf.random.Generator.from_seed(1).split(3)
    assert [state(c) for c in again] == [state(c) for c in tf.random.Generator.from_seed(1).split(3)]
    assert tf.random.Generator.from_seed(1).split(0) == []
    assert tf.random.Generator.from_seed(1).split()[0].state.shape == (3,)
    assert tf.random.Generator.from_seed(1, alg="threefry").split(2)[0].state.shape == (2,)


# --- checkpoints -------------------------------------------------------------------------------------


def test_a_checkpoint_saves_the_state_and_restoring_continues_the_same_stream(tmp_path):
    g = tf.random.Generator.from_seed(1)
    checkpoint = tf.train.Checkpoint(generator=g)
    g.normal([])
    path = checkpoint.save(str(tmp_path / "rng"))
    after_save = [g.normal([]), g.normal([3])]
    checkpoint.restore(path)
    assert same(g.normal([]), after_save[0]) and same(g.normal([3]), after_save[1])
    # Another generator restored from the file continues the saved stream too.
    other = tf.random.Generator.from_seed(99)
    tf.train.Checkpoint(generator=other).restore(path).assert_consumed()
    assert same(other.normal([]), after_save[0])
    names = [name for name, _ in tf.train.list_variables(path)]
    assert any("generator" in name for name in names)


def test_a_generator_inside_a_function_advances_on_each_call():
    g = tf.random.Generator.from_seed(1)

    @tf.function
    def draw():
        return g.normal([])

    first, second = draw(), draw()
    assert not same(first, second) and state(g) == [513, 0, 0]


# --- the global generator ------------------------------------------------------------------------------


def test_the_global_generator(keep_global_generator):
    g = tf.random.get_global_generator()
    assert g is tf.random.get_global_generator() and isinstance(g, tf.random.Generator)
    assert tf.random.experimental.get_global_generator is tf.random.get_global_generator
    child = g.split(1)[0]
    assert child.normal([]).shape == ()
    mine = tf.random.Generator.from_seed(5)
    tf.random.set_global_generator(mine)
    assert tf.random.get_global_generator() is mine
    tf.random.set_seed(3)  # a generator the user set is left alone
    assert tf.random.get_global_generator() is mine and state(mine) == [5, 0, 0]
    with pytest.raises(TypeError, match="set_global_generator"):
        tf.random.set_global_generator(5)
    assert tf.random.get_global_generator() is mine


def test_set_seed_makes_learnets_global_generator_repeat(keep_global_generator):
    random_generator._global_generator = None
    tf.random.set_seed(11)
    first = tf.random.get_global_generator().normal([4])
    tf.random.set_seed(11)
    assert same(tf.random.get_global_generator().normal([4]), first)
    random_generator._global_generator = None
    assert same(tf.random.get_global_generator().normal([4]), first)


# --- stateless ops ----------------------------------------------------------------------------------


STATELESS_CALLS = {
    "normal": lambda seed: tf.random.stateless_normal([2, 3], seed=seed),
    "uniform": lambda seed: tf.random.stateless_uniform([2, 3], seed=seed),
    "uniform_int": lambda seed: tf.random.stateless_uniform([6], seed=seed, minval=0, maxval=1000, dtype=tf.int32),
    "truncated_normal": lambda seed: tf.random.stateless_truncated_normal([5], seed=seed),
    "categorical": lambda seed: tf.random.stateless_categorical(tf.zeros((2, 10)), 8, seed=seed),
    "binomial": lambda seed: tf.random.stateless_binomial([6], seed=seed, counts=100.0, probs=0.5),
    "poisson": lambda seed: tf.random.stateless_poisson([6], seed=seed, lam=50.0),
    "gamma": lambda seed: tf.random.stateless_gamma([6], seed=seed, alpha=2.0),
    "split": lambda seed: tf.random.experimental.stateless_split(seed, 3),
    "shuffle": lambda seed: tf.random.experimental.stateless_shuffle(tf.range(20), seed=seed),
}


@pytest.mark.parametrize("name", sorted(STATELESS_CALLS))
def test_a_stateless_op_depends_only_on_its_seed(name):
    call = STATELESS_CALLS[name]
    a = call([1, 2])
    assert same(a, call([1, 2])) and same(a, call((1, 2)))
    assert same(a, call(np.array([1, 2], np.int32))) and same(a, call(tf.constant([1, 2], dtype=tf.int32)))
    if name != "split":  # an int64 seed splits into int64 seeds, as in TensorFlow
        assert same(a, call(np.array([1, 2], np.int64)))
    assert not same(a, call([1, 3])) and not same(a, call([2, 1]))


@pytest.mark.parametrize("name", sorted(STATELESS_CALLS))
@pytest.mark.parametrize(
    "seed, message",
    [
        ([1, 2, 3], r"shape \[2\]"),
        (1, "seed must be"),
        ([[1, 2]], r"shape \[2\]"),
        ([1.0, 2.0], "integers"),
        ("12", "seed must be"),
        (None, "seed must be"),
    ],
)
def test_a_bad_seed_is_refused_clearly(name, seed, message):
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        STATELESS_CALLS[name](seed)


def test_stateless_dtypes_and_shapes():
    seed = [3, 4]
    assert tf.random.stateless_normal([2, 3], seed).dtype == np.float32
    assert tf.random.stateless_normal([2], seed, dtype=tf.float64).dtype == np.float64
    assert tf.random.stateless_normal(tf.constant([2, 2]), seed).shape == (2, 2)
    assert tf.random.stateless_normal([], seed).shape == ()
    assert tf.random.stateless_truncated_normal([2], seed, dtype=tf.float16).dtype == np.float16
    assert tf.random.stateless_categorical([[0.0, 0.0]], 4, seed).dtype == np.int64
    assert tf.random.stateless_categorical([[0.0, 0.0]], 4, seed, dtype=tf.int32).dtype == np.int32
    assert tf.random.stateless_binomial([2], seed, counts=5.0, probs=0.5).dtype == np.int32
    assert tf.random.stateless_binomial([2], seed, 5.0, 0.5, output_dtype=tf.float32).dtype == np.float32
    assert tf.random.stateless_poisson([10, 2], seed, lam=[5, 15]).dtype == np.int32
    assert tf.random.stateless_poisson([2], seed, lam=5.0, dtype=tf.float32).dtype == np.float32
    assert tf.random.stateless_gamma([10, 2], seed, alpha=[0.5, 1.5]).dtype == np.float32
    beta = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0], [9.0, 10.0]]
    assert tf.random.stateless_gamma([7, 5, 2], seed, alpha=[0.5, 1.5], beta=beta).shape == (7, 5, 2)


def test_stateless_errors():
    seed = [3, 4]
    with pytest.raises(ValueError, match="minval and maxval must be both None"):
        tf.random.stateless_uniform([3], seed, dtype=tf.int32)
    with pytest.raises(ValueError, match="minval < maxval"):
        tf.random.stateless_uniform([3], seed, minval=5, maxval=5, dtype=tf.int32)
    with pytest.raises(ValueError, match="scalar integer"):
        tf.random.stateless_uniform([3], seed, minval=[0, 1, 2], maxval=10, dtype=tf.int32)
    with pytest.raises(ValueError, match="dtype must be one of"):
        tf.random.stateless_uniform([3], seed, minval=0, maxval=10, dtype=tf.uint8)
    with pytest.raises(ValueError, match="dtype must be one of"):
        tf.random.stateless_normal([2], seed, dtype=tf.int32)
    with pytest.raises(ValueError, match="dtype must be one of"):
        tf.random.stateless_gamma([2], seed, alpha=1.0, dtype=tf.int32)
    with pytest.raises(ValueError, match="non-negative ints"):
        tf.random.stateless_normal([-1], seed)
    with pytest.raises(ValueError, match="does not broadcast"):
        tf.random.stateless_poisson([3], seed, lam=[1.0, 2.0])
    with pytest.raises(ValueError, match="does not broadcast"):
        tf.random.stateless_binomial([3], seed, counts=[1.0, 2.0], probs=0.5)
    with pytest.raises(ValueError, match="matrix"):
        tf.random.stateless_categorical([0.5, 0.5], 5, seed)
    with pytest.raises(ValueError, match="alg must be"):
        tf.random.stateless_normal([2], seed, alg="bad")
    with pytest.raises(ValueError, match="num must be"):
        tf.random.experimental.stateless_split(seed, -1)


def test_stateless_statistics_and_ranges():
    seed = [5, 6]
    x = tf.random.stateless_normal([200_000], seed, mean=1.0, stddev=2.0).numpy()
    assert abs(x.mean() - 1.0) < 0.02 and abs(x.std() - 2.0) < 0.02
    t = tf.random.stateless_truncated_normal([100_000], seed, stddev=0.5).numpy()
    assert np.abs(t).max() <= 1.0 and abs(t.std() - 0.5 * 0.8796) < 0.01
    u = tf.random.stateless_uniform([100_000], seed, minval=-1.0, maxval=1.0).numpy()
    assert u.min() >= -1 and u.max() < 1 and abs(u.mean()) < 0.01
    full = tf.random.stateless_uniform([2, 3], seed, minval=None, maxval=None, dtype=tf.int64)
    assert full.dtype == np.int64 and full.shape == (2, 3)
    assert tf.random.stateless_uniform([3], seed, minval=None, maxval=None, dtype=tf.uint32).dtype == np.uint32
    p = tf.random.stateless_poisson([100_000, 2], seed, lam=[5.0, 15.0]).numpy()
    assert np.allclose(p.mean(axis=0), [5, 15], atol=0.1)
    g = tf.random.stateless_gamma([100_000, 2], seed, alpha=[2.0, 3.0], beta=[1.0, 2.0]).numpy()
    assert np.allclose(g.mean(axis=0), [2.0, 1.5], atol=0.05)
    b = tf.random.stateless_binomial([100_000], seed, counts=20.0, probs=0.25).numpy()
    assert abs(b.mean() - 5.0) < 0.05


def test_stateless_categorical_follows_the_probabilities():
    logits = tf.constant(np.log([[0.2, 0.8, 1.0], [1.0, 1.0, 1.0]]) + [[0, 0, -np.inf], [0, -np.inf, -np.inf]])
    draws = tf.random.stateless_categorical(logits, 20_000, seed=[7, 17]).numpy()
    assert draws.shape == (2, 20_000)
    assert set(draws[0].tolist()) == {0, 1} and abs((draws[0] == 1).mean() - 0.8) < 0.01
    assert (draws[1] == 0).all()


def test_stateless_algorithms():
    seed = [1, 2]
    philox = tf.random.stateless_normal([4], seed, alg="philox")
    assert same(philox, tf.random.stateless_normal([4], seed))  # auto_select is Philox
    assert same(philox, tf.random.stateless_normal([4], seed, alg=tf.random.Algorithm.PHILOX))
    assert not same(philox, tf.random.stateless_normal([4], seed, alg="threefry"))


def test_stateless_split_and_fold_in():
    seeds = tf.random.experimental.stateless_split([1, 2], num=3)
    assert seeds.shape == (3, 2) and seeds.dtype == np.int32
    assert len({tuple(row) for row in seeds.numpy().tolist()}) == 3
    assert tf.random.experimental.stateless_split([1, 2]).shape == (2, 2)
    assert tf.random.experimental.stateless_split(tf.constant([1, 2], dtype=tf.int64), 3).dtype == np.int64
    assert tf.random.experimental.stateless_split([1, 2], 0).shape == (0, 2)
    assert same(tf.random.split([1, 2], 3), seeds)
    streams = [tf.random.stateless_normal([8], seed=row).numpy() for row in seeds]
    assert not np.array_equal(streams[0], streams[1])

    folded = tf.random.experimental.stateless_fold_in([1, 2], 3)
    assert folded.shape == (2,) and folded.dtype == np.int32 and int(folded[1]) == 3
    assert same(folded, tf.random.fold_in([1, 2], 3))
    assert not same(folded, tf.random.experimental.stateless_fold_in([1, 2], 4))
    assert tf.random.experimental.stateless_fold_in([1, 2], tf.constant(3, dtype=tf.int64)).dtype == np.int64
    with pytest.raises(ValueError, match="data must be a scalar integer"):
        tf.random.experimental.stateless_fold_in([1, 2], 1.5)


def test_stateless_shuffle_is_a_permutation():
    x = tf.random.experimental.stateless_shuffle(tf.reshape(tf.range(20), (10, 2)), seed=[1, 2]).numpy()
    assert sorted(x[:, 0].tolist()) == list(range(0, 20, 2)) and (x[:, 1] == x[:, 0] + 1).all()
    with pytest.raises(ValueError, match="at least one axis"):
        tf.random.experimental.stateless_shuffle(tf.constant(1), seed=[1, 2])


# --- stateless image augmentation ------------------------------------------------------------------

IMAGE = np.random.default_rng(0).random((2, 3, 3)).astype(np.float32)


def test_stateless_flips_are_per_image_and_repeat_with_the_seed():
    batch = np.stack([IMAGE] * 16)
    out = tf.image.stateless_random_flip_left_right(batch, seed=[1, 2]).numpy()
    flipped = [np.array_equal(o, IMAGE[:, ::-1]) for o in out]
    kept = [np.array_equal(o, IMAGE) for o in out]
    assert all(f or k for f, k in zip(flipped, kept)) and any(flipped) and any(kept)
    assert np.array_equal(out, tf.image.stateless_random_flip_left_right(batch, seed=[1, 2]).numpy())
    single = tf.image.stateless_random_flip_up_down(IMAGE, seed=[3, 4]).numpy()
    assert np.array_equal(single, IMAGE) or np.array_equal(single, IMAGE[::-1])
    with pytest.raises(ValueError, match="seed must have shape"):
        tf.image.stateless_random_flip_left_right(IMAGE, seed=[1, 2, 3])


def test_stateless_color_adjustments():
    brighter = tf.image.stateless_random_brightness(IMAGE, max_delta=0.3, seed=[1, 2]).numpy()
    delta = brighter - IMAGE
    assert np.allclose(delta, delta.flat[0], atol=1e-6) and abs(delta.flat[0]) <= 0.3
    assert np.array_equal(brighter, tf.image.stateless_random_brightness(IMAGE, 0.3, seed=[1, 2]).numpy())
    for call in (
        lambda seed: tf.image.stateless_random_contrast(IMAGE, 0.2, 0.5, seed=seed),
        lambda seed: tf.image.stateless_random_saturation(IMAGE, 0.2, 0.5, seed=seed),
        lambda seed: tf.image.stateless_random_hue(IMAGE, 0.3, seed=seed),
    ):
        a = call([1, 2]).numpy()
        assert a.shape == IMAGE.shape and np.array_equal(a, call([1, 2]).numpy())
        assert not np.array_equal(a, call([5, 6]).numpy())
    with pytest.raises(ValueError, match="max_delta must be non-negative"):
        tf.image.stateless_random_brightness(IMAGE, -1.0, seed=[1, 2])
    with pytest.raises(ValueError, match="upper must be > lower"):
        tf.image.stateless_random_contrast(IMAGE, 0.5, 0.5, seed=[1, 2])
    with pytest.raises(ValueError, match="lower must be non-negative"):
        tf.image.stateless_random_saturation(IMAGE, -1.0, 0.5, seed=[1, 2])
    with pytest.raises(ValueError, match="max_delta must be <= 0.5"):
        tf.image.stateless_random_hue(IMAGE, 0.6, seed=[1, 2])


def test_gradients_flow_through_the_stateless_flips_crops_and_brightness():
    # With the seed fixed the augmentation is a fixed function of the image, so central
    # differences check its gradient (adjust_hue has none, as in TensorFlow: see below).
    batch = np.stack([IMAGE] * 4)
    for augment in (
        lambda x: tf.image.stateless_random_flip_left_right(x, seed=[1, 2]) * batch,
        lambda x: tf.image.stateless_random_flip_up_down(x, seed=[3, 4]) * batch,
        lambda x: tf.image.stateless_random_brightness(x, 0.3, seed=[1, 2]) ** 2,
        lambda x: tf.image.stateless_random_crop(x, (2, 2, 2, 3), seed=[1, 2]) ** 2,
    ):
        assert check_gradients(augment, [batch]) < 1e-5


def test_adjust_hue_matches_tensorflow():
    # TensorFlow 2.21: tf.image.adjust_hue(IMAGE, 0.2) and (IMAGE, -0.45), first two pixels and a bit.
    expected_plus = [0.28895086, 0.6369617, 0.04097353, 0.29525864, 0.01652764, 0.91275555, 0.543625, 0.72949654]
    expected_minus = [0.04097353, 0.22935195, 0.6369617, 0.91275555, 0.3848816, 0.01652764, 0.72224724, 0.543625]
    np.testing.assert_allclose(tf.image.adjust_hue(IMAGE, 0.2).numpy().ravel()[:8], expected_plus, atol=1e-6)
    np.testing.assert_allclose(tf.image.adjust_hue(IMAGE, -0.45).numpy().ravel()[:8], expected_minus, atol=1e-6)
    pixels = (IMAGE * 255).astype(np.uint8)
    assert tf.image.adjust_hue(pixels, 0.2).dtype == np.uint8
    x = tf.Variable(IMAGE)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.image.adjust_hue(x, 0.1))
    with pytest.raises(LookupError, match="AdjustHue"):
        tape.gradient(y, x)
    with pytest.raises(ValueError, match="3 channels"):
        tf.image.adjust_hue(IMAGE[..., :2], 0.1)


def test_stateless_random_crop():
    value = tf.reshape(tf.range(48), (4, 4, 3))
    crop = tf.image.stateless_random_crop(value, size=(2, 3, 3), seed=[1, 2]).numpy()
    assert crop.shape == (2, 3, 3)
    top, left = divmod(int(crop[0, 0, 0]) // 3, 4)
    assert np.array_equal(crop, value.numpy()[top : top + 2, left : left + 3])
    assert np.array_equal(crop, tf.image.stateless_random_crop(value, (2, 3, 3), seed=[1, 2]).numpy())
    offsets = {int(tf.image.stateless_random_crop(value, (2, 2, 3), seed=[i, 0])[0, 0, 0]) for i in range(30)}
    assert len(offsets) > 3
    with pytest.raises(ValueError, match="value.shape >= size"):
        tf.image.stateless_random_crop(value, (5, 2, 3), seed=[1, 2])
    with pytest.raises(ValueError, match="one entry per axis"):
        tf.image.stateless_random_crop(value, (2, 2), seed=[1, 2])


def test_stateless_random_jpeg_quality():
    pytest.importorskip("PIL")
    out = tf.image.stateless_random_jpeg_quality(IMAGE, 50, 60, seed=[1, 2])
    assert out.shape == IMAGE.shape and out.dtype == np.float32
    assert np.array_equal(out.numpy(), tf.image.stateless_random_jpeg_quality(IMAGE, 50, 60, seed=[1, 2]).numpy())
    pixels = (IMAGE * 255).astype(np.uint8)
    assert tf.image.stateless_random_jpeg_quality(pixels, 50, 60, seed=[1, 2]).dtype == np.uint8
    with pytest.raises(ValueError, match="less than max_jpeg_quality"):
        tf.image.stateless_random_jpeg_quality(IMAGE, 50, 40, seed=[1, 2])
    with pytest.raises(ValueError, match=r"\[0, 100\]"):
        tf.image.stateless_random_jpeg_quality(IMAGE, 50, 101, seed=[1, 2])


def test_make_seeds_drive_stateless_augmentation_per_element():
    rng = tf.random.Generator.from_seed(123, alg="philox")
    seeds = [rng.make_seeds(2)[0] for _ in range(4)]
    outs = [tf.image.stateless_random_brightness(IMAGE, 0.5, seed=seed).numpy() for seed in seeds]
    assert len({float(o.flat[0]) for o in outs}) == 4
    again = tf.random.Generator.from_seed(123, alg="philox")
    assert same(again.make_seeds(2)[0], seeds[0])
