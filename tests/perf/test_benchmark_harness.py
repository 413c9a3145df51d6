"""The benchmark driver's bookkeeping: what it keeps, how it divides, where it writes.

``benchmarks/compare.py`` is never run here (benchmarks measure, tests do not); these
tests feed its functions made-up run records and check the rules a reader of
``latest.md`` relies on: ratios are the median of per-round ratios, a disturbed run is
retried and never counted, a disturbed round is replaced by an extra one, a run that
is not full and clean never becomes ``latest``, every framework's child gets the same
allocator settings, and the auto-detected OpenBLAS run has the CPU-pinning variables
removed from its own environment only.
"""

import importlib.util
import os
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def compare():
    sys.path.insert(0, str(BENCHMARKS / "workers"))
    try:
        spec = importlib.util.spec_from_file_location("bench_compare", BENCHMARKS / "compare.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCHMARKS / "workers"))
    return module


def run(framework, repeat, seconds, coretype="auto", task="cnn", **extra):
    return {
        "framework": framework,
        "repeat": repeat,
        "task": task,
        "coretype": coretype,
        "epoch_seconds_median": seconds,
        "other_load": 0.0,
        **extra,
    }


def test_ratio_is_the_median_of_per_round_ratios(compare):
    runs = [
        run("learnet", 0, 1.0),
        run("tf", 0, 2.0),
        run("learnet", 1, 4.0),
        run("tf", 1, 4.0),
        run("learnet", 2, 9.0),
        run("tf", 2, 3.0),
    ]
    ratios = compare.round_ratios(runs, "auto", "cnn", "epoch_seconds_median", "tf")
    assert ratios == [0.5, 1.0, 3.0]
    row = compare._ratio_row(
        runs, "auto", "cnn", "epoch_seconds_median", "CNN epoch (s)", "s", compare.aggregate(runs)["auto"]["cnn"]
    )
    assert row["ratios"]["tf"]["median"] == 1.0  # not 4.0 / 3.0, the ratio of medians
    assert row["target"].startswith("<= 0.9x TF/Keras") and row["met"].startswith("NO")


def test_disturbed_and_failed_runs_are_never_counted(compare):
    runs = [
        run("learnet", 0, 1.0),
        run("torch", 0, 2.0),
        run("learnet", 1, 1.0),
        run("torch", 1, 100.0, disturbed=True, other_load=1.5),
        run("learnet", 2, 1.0),
        {"framework": "torch", "repeat": 2, "task": "cnn", "coretype": "auto", "error": "boom"},
    ]
    assert compare.round_ratios(runs, "auto", "cnn", "epoch_seconds_median", "torch") == [0.5]
    entry = compare.aggregate(runs)["auto"]["cnn"]["torch"]
    assert entry["epoch_seconds_median"] == 2.0
    assert (entry["succeeded"], entry["disturbed"], entry["failed"]) == (1, 1, 1)
    assert compare.clean_rounds(runs, "auto", "cnn", ["learnet", "torch"]) == {0}


def test_a_disturbed_run_is_retried_and_only_a_clean_attempt_kept(compare, monkeypatch):
    loads = iter([1.2, 0.9, 0.05])
    monkeypatch.setattr(compare, "run_child", lambda *a, **k: {"other_load": next(loads), "epoch_seconds_median": 1.0})
    args = SimpleNamespace(retry_disturbed=2)
    kept = compare.measured_run(Path("w.py"), [], args, framework="learnet", coretype="auto")
    assert kept["other_load"] == 0.05 and kept["attempts"] == 3 and not kept["disturbed"]
    assert kept["discarded_other_loads"] == [1.2, 0.9]

    loads = iter([1.2, 0.9, 0.7])
    kept = compare.measured_run(Path("w.py"), [], args, framework="learnet", coretype="auto")
    assert kept["disturbed"] and not compare.ok(kept)


def test_a_run_timed_while_the_machine_ran_slow_is_retried(compare, monkeypatch):
    # The host slows down with nothing visible inside it: the speed gauge says so.
    monkeypatch.setattr(compare, "_BEST_GAUGE", {("numpy", "auto"): 200.0})
    gauges = iter([[140.0, 150.0], [210.0, 205.0]])
    monkeypatch.setattr(
        compare,
        "run_child",
        lambda *a, **k: {"other_load": 0.0, "gauge_gflops": next(gauges), "epoch_seconds_median": 1},
    )
    args = SimpleNamespace(retry_disturbed=2)
    kept = compare.measured_run(Path("w.py"), [], args, framework="learnet", coretype="auto")
    assert kept["gauge_gflops"] == [210.0, 205.0] and kept["attempts"] == 2 and not kept["disturbed"]
    assert kept["discarded_gauges"] == [140.0]
    assert compare._BEST_GAUGE[("numpy", "auto")] == 205.0
    # PyTorch's gauge is its own BLAS's: judged against its own best, none yet here.
    gauges = iter([[100.0, 100.0]])
    kept = compare.measured_run(Path("w.py"), [], args, framework="torch", coretype="auto")
    assert kept["attempts"] == 1
    # Still slow after every retry: kept (and flagged in the report), not left out.
    gauges = iter([[90.0, 90.0], [95.0, 90.0], [92.0, 91.0]])
    kept = compare.measured_run(Path("w.py"), [], args, framework="numpy", coretype="auto")
    assert kept["attempts"] == 3 and compare.ok(kept) and kept["gauge_gflops"] == [92.0, 91.0]


def test_a_predict_timed_in_a_slow_spell_makes_the_run_slow(compare, monkeypatch):
    # Predict is timed after the epochs' gauges: the gauge read after it joins them.
    import common

    result = common.with_predict_gauge({"gauge_gflops": [210.0, 205.0], "predict_gauge_gflops": 118.0})
    assert result == {"gauge_gflops": [210.0, 205.0, 118.0]}
    assert common.with_predict_gauge({"predict_gauge_gflops": 99.0}) == {"gauge_gflops": [99.0]}  # no epochs
    assert common.with_predict_gauge({"gauge_gflops": [1.0, 2.0]}) == {"gauge_gflops": [1.0, 2.0]}
    monkeypatch.setattr(compare, "_BEST_GAUGE", {("numpy", "auto"): 200.0})
    gauges = iter([[210.0, 205.0, 118.0], [208.0, 206.0, 204.0]])
    monkeypatch.setattr(
        compare,
        "run_child",
        lambda *a, **k: {"other_load": 0.0, "gauge_gflops": next(gauges), "predict_images_per_s": 1},
    )
    kept = compare.measured_run(
        Path("w.py"), [], SimpleNamespace(retry_disturbed=2), framework="learnet", coretype="auto"
    )
    assert kept["attempts"] == 2 and kept["discarded_gauges"] == [118.0]
    assert kept["gauge_gflops"] == [208.0, 206.0, 204.0]


def test_a_disturbed_round_is_replaced_by_an_extra_round(compare, monkeypatch):
    calls = []

    def fake_measured_run(script, options, args, *, framework, coretype):
        rnd = options[options.index("--seed") + 1]
        calls.append((rnd, coretype, framework))
        bad = rnd == 1 and framework == "tf" and coretype == "auto"
        return {
            "epoch_seconds_median": 1.0,
            "other_load": 1.0 if bad else 0.0,
            "disturbed": bad,
            "predict_images_per_s": 1.0,
            "train_peak_rss_mib": 1.0,
            "test_accuracy": 0.5,
            "wall_seconds": 1.0,
        }

    monkeypatch.setattr(compare, "measured_run", fake_measured_run)
    args = compare.parse_args(["--only", "cnn", "--repeats", "3", "--extra-rounds", "2", "--frameworks", "learnet,tf"])
    probes = {fw: {"available": True} for fw in ("learnet", "tf")}
    runs = compare.main_runs(args, probes)
    rounds = [c[0] for c in calls]
    assert rounds.count(3) == 2  # one extra round, for the short pair only
    assert {c[1] for c in calls if c[0] == 3} == {"auto"}
    assert 4 not in rounds
    counts = compare.counted_rounds(runs, args.coretypes, args.repeats)
    assert counts == {"auto/cnn": 3, "Haswell/cnn": 3}
    assert compare.output_name(args, counts) == "latest"


def test_only_a_full_clean_run_becomes_latest(compare):
    args = compare.parse_args([])
    assert compare.output_name(args, {"auto/cnn": 3, "Haswell/cnn": 3}) == "latest"
    assert compare.output_name(args, {"auto/cnn": 2, "Haswell/cnn": 3}) == "disturbed"
    assert compare.output_name(compare.parse_args(["--repeats", "2"]), {"auto/cnn": 2}) == "disturbed"
    assert compare.output_name(compare.parse_args(["--train-limit", "1000"]), {"auto/cnn": 3}) == "partial"
    assert compare.output_name(compare.parse_args(["--quick"]), {"auto/cnn": 1}) == "quick"


def test_child_environments(compare, monkeypatch):
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    monkeypatch.setenv("OPENBLAS_L2_SIZE", "512")
    auto = compare.child_env(2, "auto")
    assert "OPENBLAS_CORETYPE" not in auto and "OPENBLAS_L2_SIZE" not in auto
    assert os.environ["OPENBLAS_CORETYPE"] == "Haswell"  # the driver's own is untouched
    pinned = compare.child_env(2, "SkylakeX")
    assert pinned["OPENBLAS_CORETYPE"] == "SkylakeX" and pinned["OPENBLAS_NUM_THREADS"] == "2"
    for env in (auto, pinned):
        assert env["MALLOC_MMAP_THRESHOLD_"] == str(32 * 1024 * 1024)
        assert env["MALLOC_TRIM_THRESHOLD_"] == str(256 * 1024 * 1024)


def test_peer_interpreter_is_used_and_kept_out_of_the_results(compare):
    args = compare.parse_args(["--peer-python", "/somewhere/bin/python"])
    assert compare.python_for("tf", args) == "/somewhere/bin/python"
    assert compare.python_for("torch", args) == "/somewhere/bin/python"
    assert compare.python_for("learnet", args) == sys.executable
    shown = compare.command_line(["--peer-python", "/somewhere/bin/python", "--repeats", "3"])
    assert "/somewhere" not in shown and shown.endswith("--peer-python PEER_PYTHON --repeats 3")


def test_output_folder_is_kept_out_of_the_results(compare):
    shown = compare.command_line(["--out", "/somewhere/results", "--peer-python=/somewhere/python", "--out=/x"])
    assert "/somewhere" not in shown and "/x" not in shown
    assert shown.endswith("--out OUT --peer-python=PEER_PYTHON --out=OUT")


def test_cpu_model_is_recorded(compare):
    name, details = compare.cpu_details()
    assert isinstance(name, str) and name
    if Path("/proc/cpuinfo").exists():
        assert "cpu_family" in details or "model" in details or "vector_isa" in details


MMAPPED = """
import ctypes
class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd",
                                               "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
libc.mallinfo2.restype = Info
block = libc.malloc(8 << 20)
print(libc.mallinfo2().hblkhd >= (8 << 20))
libc.free(block)
"""


def test_every_child_gets_the_same_pinned_allocator(compare):
    """An 8 MiB block is mmapped by glibc's default, taken from the heap in every benchmark child."""
    import ctypes
    import subprocess

    try:
        ctypes.CDLL("libc.so.6").mallinfo2
    except (OSError, AttributeError):
        pytest.skip("not glibc 2.33+")
    plain = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    default = subprocess.run([sys.executable, "-c", MMAPPED], env=plain, capture_output=True, text=True)
    pinned = subprocess.run(
        [sys.executable, "-c", MMAPPED], env=compare.child_env(2, "auto"), capture_output=True, text=True
    )
    assert default.stdout.strip() == "True"
    assert pinned.stdout.strip() == "False"
