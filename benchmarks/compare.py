"""learnet side by side with PyTorch (CPU) and a hand-written NumPy floor.

Run from the repository root::

    python benchmarks/compare.py                  # everything, 3 interleaved repeats
    python benchmarks/compare.py --quick          # smoke run on a few thousand images
    python benchmarks/compare.py --only mlp,predict --repeats 5

What is measured (see benchmarks/README.md for what each number means):

1. MLP training epoch on Fashion-MNIST: Dense 512 relu -> Dense 10 softmax,
   RMSprop, batch 128 -- learnet, PyTorch and the NumPy floor.
2. CNN training epoch: the keras.io convnet, Adam, batch 128 -- learnet and
   PyTorch.
3. ``predict`` throughput (images/s) of both models at batch 1024.
4. Peak resident memory (RSS) of each training run.
5. learnet's overhead over the NumPy floor on the MLP epoch, in percent.
6. Achieved GFLOP/s of the MLP epoch against NumPy's measured float32
   matrix-product peak on this machine.
7. (``scaling``) MLP epoch time and memory as the hidden width goes 128 ->
   2048 and the batch 32 -> 1024.

How: every measured run is its own fresh child process (so peak RSS belongs
to that run alone), started from here in interleaved order -- learnet, torch,
numpy, learnet, torch, numpy, ... -- so that slow drifts of the machine hit
all frameworks alike. Every child gets the same thread count through
OMP/OPENBLAS/MKL_NUM_THREADS (set before NumPy or PyTorch is imported) and
``torch.set_num_threads``; any other BLAS settings in the environment are
passed to all children unchanged. Each child prints one JSON line; the
medians over the repeats make the table, printed here and written as
Markdown and JSON (``--out``, default ``benchmarks/results``).

This driver imports neither NumPy nor PyTorch nor learnet itself: a framework
that is not installed, or a learnet that does not have ``Sequential`` yet, is
reported as unavailable and the rest still runs. Benchmarks measure; they
never assert, and they are not part of the test suite.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORKERS = HERE / "workers"
REPO_ROOT = HERE.parent
sys.path.insert(0, str(WORKERS))
import common  # noqa: E402  (stdlib-only at import time: no NumPy in the driver)

# "learnet-np" is learnet without the `fast` extra's compiled kernels (LEARNET_KERNELS=numpy):
# the same worker, so what the extra buys (and costs in memory) is measured in the same rounds.
FRAMEWORKS = ("learnet", "learnet-np", "torch", "tf", "numpy")
PEERS = ("torch", "tf", "numpy")  # learnet's time is divided by each of these
LABELS = {
    "learnet": "learnet",
    "learnet-np": "learnet, NumPy kernels",
    "torch": "PyTorch",
    "tf": "TF/Keras",
    "numpy": "NumPy floor",
}
WORKER_SCRIPTS = {fw: WORKERS / f"{fw.removesuffix('-np')}_worker.py" for fw in FRAMEWORKS}
FRAMEWORK_ENVIRONMENT = {"learnet": {"LEARNET_KERNELS": "auto"}, "learnet-np": {"LEARNET_KERNELS": "numpy"}}
TASKS = ("mlp", "cnn")
TASK_FRAMEWORKS = {"mlp": FRAMEWORKS, "cnn": ("learnet", "learnet-np", "torch", "tf")}
PARTS = ("mlp", "cnn", "predict", "scaling")
# Frameworks that may live in their own virtual environment (--peer-python).
PEER_PYTHON_FRAMEWORKS = ("torch", "tf")

# OpenBLAS kernel choices run side by side: "auto" lets OpenBLAS detect the CPU (what a
# user gets: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed from that child's
# environment only); any other name is passed as OPENBLAS_CORETYPE.
CORETYPES = ("auto", "Haswell")
OPENBLAS_DETECTION_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")

# glibc's allocator, pinned the same for every framework: without this, whoever frees
# a large buffer per step pays for page faults on the next one (PyTorch's MLP epoch
# runs 1.5-2x slower with glibc's default, adaptive mmap threshold). The values are
# the ones learnet's fit sets through mallopt, so every run sees the same allocator.
MALLOC_ENVIRONMENT = {"MALLOC_MMAP_THRESHOLD_": str(32 * 1024 * 1024), "MALLOC_TRIM_THRESHOLD_": str(256 * 1024 * 1024)}

# Fewer clean rounds than this never make the headline file (latest.md).
MIN_ROUNDS = 3

SCALING_WIDTHS = (128, 256, 512, 1024, 2048)
SCALING_BATCHES = (32, 64, 128, 256, 512, 1024)
SCALING_BASE = (512, 128)  # (width, batch) both sweeps pass through

# A run during which other processes kept more than this many CPUs busy, on
# average, is "disturbed": it is run again (--retry-disturbed) and flagged.
DISTURBED = 0.2

# A run whose speed gauge (a fixed matrix product timed before and after the
# epochs, and again after predict) is below this fraction of the best gauge of the same framework in
# the session was timed while the machine ran slow with no visible load.
SLOW_GAUGE = 0.75

# Targets from the issue, checked on the medians.
ACCURACY_TOLERANCE = 0.01  # "same accuracy": within one percentage point of PyTorch

DEFAULTS = {  # normal run, --quick run
    "repeats": (3, 1),
    "train_limit": (60000, 3000),
    "test_limit": (10000, 1000),
    "mlp_epochs": (3, 1),
    "cnn_epochs": (1, 1),
    "predict_repeats": (5, 2),
    "scaling_limit": (10000, 2000),
    "scaling_repeats": (1, 1),
    "peak_sizes": ("512,1024,2048", "256,512"),
}


# ---------------------------------------------------------------- command line


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="learnet vs PyTorch vs a NumPy floor, interleaved, one process per run."
    )
    parser.add_argument(
        "--only", default=",".join(PARTS), help=f"comma-separated subset of {','.join(PARTS)} (default: all)"
    )
    parser.add_argument(
        "--frameworks",
        default=",".join(FRAMEWORKS),
        help="comma-separated subset of learnet,torch,tf,numpy (default: all)",
    )
    parser.add_argument(
        "--peer-python",
        default=os.environ.get("LEARNET_BENCH_PEER_PYTHON", sys.executable),
        help="Python interpreter for the PyTorch and TF/Keras runs, e.g. a "
        "separate virtual environment's bin/python (default: "
        "$LEARNET_BENCH_PEER_PYTHON, else this interpreter)",
    )
    parser.add_argument(
        "--coretypes",
        default=",".join(CORETYPES),
        help="OpenBLAS kernels to run side by side: 'auto' (detected; "
        "OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for that child) "
        "and/or OPENBLAS_CORETYPE names (default: auto,Haswell; the "
        "first is the headline)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        help=f"clean interleaved rounds wanted per framework (3; fewer than {MIN_ROUNDS} never write latest.md)",
    )
    parser.add_argument(
        "--extra-rounds",
        type=int,
        default=3,
        help="rounds run beyond --repeats, at most, to replace rounds that stayed disturbed (3)",
    )
    parser.add_argument("--threads", type=int, default=2, help="threads for every run (2)")
    parser.add_argument("--epochs", type=int, help="timed epochs per run for both models (default: MLP 3, CNN 1)")
    parser.add_argument("--train-limit", type=int, help="use the first N training images (default: all 60,000)")
    parser.add_argument("--test-limit", type=int, help="use the first N test images (10,000)")
    parser.add_argument("--predict-repeats", type=int, help="timed predict passes per run, median taken (5)")
    parser.add_argument("--scaling-limit", type=int, help="training images per scaling run (10,000)")
    parser.add_argument("--scaling-repeats", type=int, help="repeats of the scaling grid (1)")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=20,
        help="before each run, wait up to this many seconds for other "
        "processes on the machine to go quiet (20; 0 disables)",
    )
    parser.add_argument(
        "--retry-disturbed",
        type=int,
        default=2,
        help="run a measurement again, up to this many times, when other "
        "processes kept the machine busy during it or its speed gauge says the "
        "machine ran slow (2); a run still disturbed is left out of every figure, "
        "one still slow is kept and flagged",
    )
    parser.add_argument("--timeout", type=float, default=3600, help="seconds before a single run is abandoned (3600)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: few images, one repeat, a small scaling grid; writes quick.md/quick.json instead of latest.*",
    )
    parser.add_argument(
        "--out", default=str(HERE / "results"), help="folder for latest.md and latest.json (benchmarks/results)"
    )
    args = parser.parse_args(argv)

    pick = 1 if args.quick else 0
    for name, values in DEFAULTS.items():
        if getattr(args, name, None) is None:
            setattr(args, name, values[pick])
    if args.epochs is not None:
        args.mlp_epochs = args.cnn_epochs = args.epochs
    args.coretypes = [c.strip() for c in args.coretypes.split(",") if c.strip()]
    if not args.coretypes:
        sys.exit("--coretypes: name at least one (auto, or an OPENBLAS_CORETYPE value)")
    args.parts = _split(args.only, PARTS, "--only")
    args.frameworks = _split(args.frameworks, FRAMEWORKS, "--frameworks")
    args.scaling_widths = (128, 512) if args.quick else SCALING_WIDTHS
    args.scaling_batches = (32, 128) if args.quick else SCALING_BATCHES
    args.name = "quick" if args.quick else "latest"
    return args


def _split(text, allowed, option):
    items = [item.strip() for item in text.split(",") if item.strip()]
    unknown = [item for item in items if item not in allowed]
    if unknown:
        sys.exit(f"{option}: unknown {', '.join(unknown)} (choose from {', '.join(allowed)})")
    return [item for item in allowed if item in items]


# ---------------------------------------------------------------- children


def child_env(threads: int, coretype: str = "auto", framework: str = "") -> dict:
    """The environment of one run: threads, the OpenBLAS kernel and glibc malloc pinned."""
    env = dict(os.environ)
    env.update(FRAMEWORK_ENVIRONMENT.get(framework, {}))
    for name in common.THREAD_VARIABLES:
        env[name] = str(threads)
    if coretype == "auto":
        for name in OPENBLAS_DETECTION_VARIABLES:
            env.pop(name, None)
    else:
        env["OPENBLAS_CORETYPE"] = coretype
    env.update(MALLOC_ENVIRONMENT)
    return env


def python_for(framework: str, args) -> str:
    return args.peer_python if framework in PEER_PYTHON_FRAMEWORKS else sys.executable


def busy_cpu_seconds():
    """CPU seconds the whole machine has spent busy since boot (Linux), else None."""
    try:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    idle = ticks[3] + ticks[4]  # idle + iowait
    return (sum(ticks) - idle) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wait_for_quiet(max_wait: float, threshold: float = 0.25, window: float = 1.0, quiet_windows: int = 2) -> float:
    """Wait (at most ``max_wait`` s) until other processes use < ``threshold`` CPUs.

    The machine may be shared; starting a run while something else computes
    would charge that work to whichever framework happened to run. Quiet means
    ``quiet_windows`` consecutive windows of ``window`` seconds under the
    threshold (one short gap between someone's jobs is not enough). Returns
    the seconds waited.
    """
    start = time.perf_counter()
    calm = 0
    while calm < quiet_windows and time.perf_counter() - start < max_wait:
        before = busy_cpu_seconds()
        if before is None:
            break
        time.sleep(window)
        calm = calm + 1 if (busy_cpu_seconds() - before) / window < threshold else 0
    return time.perf_counter() - start


def run_child(
    script: Path, options: list, args, *, framework: str = "learnet", coretype: str = "auto", measuring: bool = True
) -> dict:
    """Run one worker in a fresh process; return its JSON line (or an error record).

    A measuring run first waits for the machine to be quiet (``--quiet-wait``).

    Also records ``other_load``: the CPUs that processes other than this run
    kept busy, on average, while it ran (0 on a quiet machine). A run with a
    high value was disturbed.
    """
    command = [python_for(framework, args), str(script), *map(str, options), "--threads", str(args.threads)]
    waited = wait_for_quiet(args.quiet_wait) if measuring and args.quiet_wait > 0 else 0.0
    busy0, own0 = busy_cpu_seconds(), children_cpu_seconds()
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            command,
            env=child_env(args.threads, coretype, framework),
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=args.timeout,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {args.timeout:.0f} s"}
    wall = time.perf_counter() - started
    busy1, own1 = busy_cpu_seconds(), children_cpu_seconds()
    load = {"wall_seconds": wall, "waited_for_quiet_seconds": round(waited, 1)}
    if busy0 is not None and busy1 is not None:
        load["other_load"] = max(0.0, round((busy1 - busy0 - (own1 - own0)) / wall, 3))
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        # results are shared: keep machine paths out of them
        tail = tail.replace(str(REPO_ROOT.parent), "...")
        return {"error": tail[:300], **load}
    return {**json.loads(lines[-1]), **load}


def disturbed(result) -> bool:
    return (result.get("other_load") or 0.0) > DISTURBED


# The best speed gauge seen so far, per gauge library ("torch" or "numpy") and OpenBLAS
# setting: the matmul peak's 512x512 rate to begin with (the gauge's own size), then every
# run's. A shared or virtual machine can run slow for minutes with nothing visible inside it.
_BEST_GAUGE: dict = {}


def _gauge_key(framework: str, coretype: str) -> tuple:
    return ("torch" if framework == "torch" else "numpy", coretype)


def slow(result, framework: str, coretype: str) -> bool:
    """Whether a run's gauge was below ``SLOW_GAUGE`` of the best one seen so far."""
    gauge = gauge_of(result)
    best = _BEST_GAUGE.get(_gauge_key(framework, coretype))
    return gauge is not None and best is not None and gauge < SLOW_GAUGE * best


def _note_gauge(result, framework: str, coretype: str) -> None:
    gauge = gauge_of(result)
    if gauge is not None:
        key = _gauge_key(framework, coretype)
        _BEST_GAUGE[key] = max(_BEST_GAUGE.get(key, 0.0), gauge)


def measured_run(script: Path, options: list, args, *, framework: str, coretype: str) -> dict:
    """``run_child``, run again while the machine was busy with other work or slow.

    Up to ``--retry-disturbed`` more attempts are made when a run is disturbed
    (see ``DISTURBED``) or its speed gauge says the machine ran slow (see
    ``SLOW_GAUGE``, ``slow``). A disturbed attempt is never kept: the first clean one is
    returned, or, when every attempt was disturbed, the last one marked
    ``"disturbed": true``, which every figure leaves out (its round is replaced by an
    extra round, see ``main_runs``). An attempt that stays slow is kept (and flagged in
    the report). The record keeps the discarded attempts' loads and gauges.
    """
    attempts = []
    for _ in range(1 + max(0, args.retry_disturbed)):
        result = run_child(script, options, args, framework=framework, coretype=coretype)
        attempts.append(result)
        was_slow = slow(result, framework, coretype)
        if "error" not in result:
            _note_gauge(result, framework, coretype)
        if "error" in result or not (disturbed(result) or was_slow):
            break
    kept = dict(attempts[-1], attempts=len(attempts), coretype=coretype)
    kept["disturbed"] = "error" not in kept and disturbed(kept)
    if len(attempts) > 1:
        kept["discarded_other_loads"] = [r.get("other_load") for r in attempts[:-1]]
        kept["discarded_gauges"] = [gauge_of(r) for r in attempts[:-1]]
    return kept


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- measuring


def probe_frameworks(args) -> dict:
    probes = {}
    for fw in args.frameworks:
        probes[fw] = run_child(
            WORKER_SCRIPTS[fw], ["--probe"], args, framework=fw, coretype=args.coretypes[0], measuring=False
        )
        state = (
            "available"
            if probes[fw].get("available")
            else f"unavailable ({probes[fw].get('reason') or probes[fw].get('error')})"
        )
        progress(f"probe {LABELS[fw]}: {state}")
    return probes


def usable(probes, fw, task) -> bool:
    probe = probes.get(fw, {})
    if not probe.get("available"):
        return False
    return task in probe.get("tasks", TASKS) and task in TASK_FRAMEWORKS and fw in TASK_FRAMEWORKS[task]


def measure_peaks(args, probes) -> dict:
    """float32 matmul peak per OpenBLAS setting: ``{coretype: {framework: result}}``."""
    peaks = {}
    for coretype in args.coretypes:
        for fw in ("numpy", "torch"):
            if fw == "numpy" or probes.get("torch", {}).get("available"):
                result = measured_run(
                    WORKERS / "peak_worker.py",
                    ["--framework", fw, "--sizes", args.peak_sizes],
                    args,
                    framework=fw,
                    coretype=coretype,
                )
                peaks.setdefault(coretype, {})[fw] = result
                at_gauge_size = (result.get("gflops_by_size") or {}).get("512")
                if at_gauge_size:  # the gauge is this product: the first runs are judged by it
                    _BEST_GAUGE[_gauge_key(fw, coretype)] = float(at_gauge_size)
                progress(
                    f"matmul peak {fw} ({coretype}): "
                    + (
                        f"{result['peak_gflops']:.1f} GFLOP/s"
                        if "peak_gflops" in result
                        else str(result.get("error") or result.get("reason"))
                    )
                )
    return peaks


def worker_options(
    task, args, *, epochs, hidden=512, batch=128, train_limit=None, test_limit=None, predict_repeats=None, seed=0
):
    return [
        "--task",
        task,
        "--epochs",
        epochs,
        "--hidden",
        hidden,
        "--batch-size",
        batch,
        "--train-limit",
        train_limit or args.train_limit,
        "--test-limit",
        test_limit or args.test_limit,
        "--predict-batch",
        1024,
        "--predict-repeats",
        predict_repeats or args.predict_repeats,
        "--seed",
        seed,
    ]


def clean_rounds(runs, coretype, task, frameworks) -> set:
    """Rounds in which every framework of ``task`` ran undisturbed and without error."""
    rounds = {}
    for r in runs:
        if r["coretype"] == coretype and r["task"] == task and r["framework"] in frameworks:
            rounds.setdefault(r["repeat"], {})[r["framework"]] = ok(r)
    return {rnd for rnd, by_fw in rounds.items() if len(by_fw) == len(frameworks) and all(by_fw.values())}


def main_runs(args, probes) -> list:
    """The interleaved rounds: in each, every OpenBLAS setting, task and framework once.

    A round is clean for a (setting, task) when all its frameworks ran undisturbed;
    ratios are taken within clean rounds only. Rounds go on until ``--repeats`` clean
    ones exist for every (setting, task), or ``--extra-rounds`` more have been run (an
    extra round runs only the (setting, task) pairs still short of clean rounds).
    """
    plan = []
    for task in TASKS:
        train = task in args.parts
        if not train and "predict" not in args.parts:
            continue
        epochs = (args.mlp_epochs if task == "mlp" else args.cnn_epochs) if train else 0
        fws = [fw for fw in args.frameworks if usable(probes, fw, task)]
        if fws:
            plan.append((task, fws, epochs))
    runs = []
    for rnd in range(args.repeats + max(0, args.extra_rounds)):
        todo = [
            (coretype, task, fws, epochs)
            for coretype in args.coretypes
            for task, fws, epochs in plan
            if rnd < args.repeats or len(clean_rounds(runs, coretype, task, fws)) < args.repeats
        ]
        if not todo:
            break
        for coretype, task, fws, epochs in todo:
            for fw in fws:
                options = worker_options(task, args, epochs=epochs, seed=rnd)
                result = measured_run(WORKER_SCRIPTS[fw], options, args, framework=fw, coretype=coretype)
                result.update(task=task, framework=fw, repeat=rnd, epochs=epochs, coretype=coretype)
                runs.append(result)
                progress(f"[round {rnd + 1}, {coretype}] {describe_run(result)}")
    return runs


def scaling_runs(args, probes) -> list:
    """MLP epoch time and memory over the width sweep and the batch sweep."""
    width0, batch0 = SCALING_BASE
    configs = [(w, batch0) for w in args.scaling_widths]
    configs += [(width0, b) for b in args.scaling_batches if (width0, b) not in configs]
    # learnet's own scaling against the two closest references; TF/Keras' start-up
    # would double the section's time for little.
    fws = [fw for fw in args.frameworks if usable(probes, fw, "mlp") and fw not in ("tf", "learnet-np")]
    runs, total = [], len(configs) * len(fws) * args.scaling_repeats
    for repeat in range(args.scaling_repeats):
        for width, batch in configs:
            for fw in fws:
                options = worker_options(
                    "mlp",
                    args,
                    epochs=1,
                    hidden=width,
                    batch=batch,
                    train_limit=args.scaling_limit,
                    test_limit=1024,
                    predict_repeats=1,
                    seed=repeat,
                )
                result = measured_run(WORKER_SCRIPTS[fw], options, args, framework=fw, coretype=args.coretypes[0])
                result.update(task="mlp", framework=fw, repeat=repeat, hidden=width, batch_size=batch)
                runs.append(result)
                progress(f"[scaling {len(runs):3d}/{total}] width {width:4d} batch {batch:4d} {describe_run(result)}")
    return runs


def describe_run(r) -> str:
    head = f"{r['task']:3s} {LABELS[r['framework']]:11s} #{r['repeat'] + 1}"
    if "error" in r:
        return f"{head}  FAILED: {r['error']}"
    if not r.get("available", True):
        return f"{head}  unavailable: {r.get('reason')}"
    parts = [head]
    if r.get("epoch_seconds_median") is not None:
        parts.append(f"epoch {r['epoch_seconds_median']:.2f} s")
    parts.append(f"predict {r['predict_images_per_s']:,.0f} img/s")
    parts.append(f"train peak {r['train_peak_rss_mib']:.0f} MiB")
    parts.append(f"test acc {r['test_accuracy']:.4f}")
    parts.append(
        f"({r['wall_seconds']:.1f} s"
        + (f", other load {r['other_load']:.2f} CPUs" if "other_load" in r else "")
        + (f", attempt {r['attempts']}" if r.get("attempts", 1) > 1 else "")
        + (", DISTURBED: left out" if r.get("disturbed") else "")
        + ")"
    )
    return "  ".join(parts)


# ---------------------------------------------------------------- summarising


def ok(r) -> bool:
    """A run that counts: it finished, and no other work disturbed it."""
    return "error" not in r and r.get("available", True) and not r.get("disturbed")


def med(runs, key):
    values = [r[key] for r in runs if ok(r) and r.get(key) is not None]
    return common.median(values)


def spread(runs, key):
    values = [r[key] for r in runs if ok(r) and r.get(key) is not None]
    return (min(values), max(values)) if values else None


def aggregate(runs) -> dict:
    """Medians over the counted runs: ``{coretype: {task: {framework: entry}}}``."""
    table = {}
    for coretype in dict.fromkeys(r["coretype"] for r in runs):
        for task in TASKS:
            for fw in FRAMEWORKS:
                mine = [r for r in runs if r["coretype"] == coretype and r["task"] == task and r["framework"] == fw]
                if not mine:
                    continue
                good = [r for r in mine if ok(r)]
                entry = {
                    "runs": len(mine),
                    "succeeded": len(good),
                    "disturbed": sum(1 for r in mine if r.get("disturbed")),
                    "failed": sum(1 for r in mine if "error" in r),
                }
                if not good:
                    last = mine[-1]
                    entry["error"] = (
                        last.get("error")
                        or last.get("reason")
                        or ("every run disturbed" if last.get("disturbed") else "no run counted")
                    )
                for key in (
                    "epoch_seconds_median",
                    "predict_images_per_s",
                    "train_peak_rss_mib",
                    "peak_rss_mib",
                    "base_rss_mib",
                    "test_accuracy",
                    "test_loss",
                    "train_accuracy",
                    "train_loss",
                    "flops_per_epoch",
                    "other_load",
                ):
                    entry[key] = med(good, key)
                entry["epoch_seconds_range"] = spread(good, "epoch_seconds_median")
                entry["test_accuracy_range"] = spread(good, "test_accuracy")
                if entry["train_peak_rss_mib"] is not None and entry["base_rss_mib"] is not None:
                    entry["train_increment_mib"] = med(
                        [{"d": r["train_peak_rss_mib"] - r["base_rss_mib"]} for r in good], "d"
                    )
                if entry.get("flops_per_epoch") and entry.get("epoch_seconds_median"):
                    entry["gflops"] = entry["flops_per_epoch"] / entry["epoch_seconds_median"] / 1e9
                table.setdefault(coretype, {}).setdefault(task, {})[fw] = entry
    return table


def ratio(a, b):
    return a / b if a is not None and b else None


def round_ratios(runs, coretype, task, key, peer) -> list:
    """learnet's ``key`` over ``peer``'s, within each round where both runs counted.

    Interleaving makes the two runs of one round neighbours in time, so their ratio
    is the least disturbed comparison there is; the table shows the median of these
    per-round ratios, not a ratio of medians.
    """
    by_round = {}
    for r in runs:
        if (
            r["coretype"] == coretype
            and r["task"] == task
            and ok(r)
            and r["framework"] in ("learnet", peer)
            and r.get(key) is not None
        ):
            by_round.setdefault(r["repeat"], {})[r["framework"]] = r[key]
    return [
        round(pair["learnet"] / pair[peer], 4)
        for _, pair in sorted(by_round.items())
        if "learnet" in pair and pair.get(peer)
    ]


def check(value, limit, *, at_most=True):
    if value is None:
        return "n/a"
    return "yes" if (value <= limit if at_most else value >= limit) else "NO"


# Targets from the issue, checked on the medians of the per-round ratios:
# (task, measure key) -> [(peer, limit, at_most)].
TARGETS = {
    ("mlp", "epoch_seconds_median"): [("torch", 0.75, True), ("numpy", 1.03, True)],
    ("cnn", "epoch_seconds_median"): [("tf", 0.9, True), ("torch", 0.75, True)],
    ("mlp", "predict_images_per_s"): [("torch", 1.0, False)],
    ("cnn", "predict_images_per_s"): [("tf", 1.0, False)],
    ("mlp", "train_peak_rss_mib"): [("torch", 0.6, True)],
    ("cnn", "train_peak_rss_mib"): [("torch", 0.6, True)],
}


def _ratio_row(runs, coretype, task, key, measure, unit, agg_task) -> dict:
    row = {"measure": measure, "unit": unit, **{fw: agg_task.get(fw, {}).get(key) for fw in FRAMEWORKS}, "ratios": {}}
    for peer in PEERS:
        rounds = round_ratios(runs, coretype, task, key, peer)
        if rounds:
            row["ratios"][peer] = {"median": common.median(rounds), "rounds": rounds}
    targets, met = [], []
    for peer, limit, at_most in TARGETS.get((task, key), []):
        targets.append(f"{'<=' if at_most else '>='} {limit}x {LABELS[peer]}")
        met.append(check(row["ratios"].get(peer, {}).get("median"), limit, at_most=at_most))
    row["target"], row["met"] = ", ".join(targets), " / ".join(met)
    return row


def summary_rows(agg, runs, peaks, args, coretype) -> list:
    """The table of one OpenBLAS setting: one dict per row."""
    rows = []
    table = agg.get(coretype, {})
    peak_run = peaks.get(coretype, {}).get("numpy", {})
    peak = peak_run.get("peak_gflops") if ok(peak_run) else None  # a disturbed peak is no yardstick
    train_parts = [t for t in TASKS if t in args.parts and t in table]

    for task in train_parts:
        rows.append(
            _ratio_row(runs, coretype, task, "epoch_seconds_median", f"{task.upper()} epoch (s)", "s", table[task])
        )
        if task == "mlp":
            gf = {fw: table[task].get(fw, {}).get("gflops") for fw in FRAMEWORKS}
            rows.append(
                {"measure": "MLP epoch GFLOP/s", "unit": "GFLOP/s", **gf, "ratios": {}, "target": "", "met": ""}
            )
            if peak:
                rows.append(
                    {
                        "measure": "MLP epoch, % of NumPy matmul peak",
                        "unit": "%",
                        **{fw: gf[fw] / peak * 100 if gf[fw] else None for fw in FRAMEWORKS},
                        "ratios": {},
                        "target": f"peak {peak:.0f} GFLOP/s",
                        "met": "",
                    }
                )
    if "predict" in args.parts:
        for task in TASKS:
            if task in table:
                rows.append(
                    _ratio_row(
                        runs,
                        coretype,
                        task,
                        "predict_images_per_s",
                        f"{task.upper()} predict, batch 1024 (images/s)",
                        "images/s",
                        table[task],
                    )
                )
    for task in train_parts:
        rows.append(
            _ratio_row(
                runs,
                coretype,
                task,
                "train_peak_rss_mib",
                f"{task.upper()} training peak RSS (MiB)",
                "MiB",
                table[task],
            )
        )
        rows.append(
            {
                "measure": f"{task.upper()} training RSS above loaded data (MiB)",
                "unit": "MiB",
                "ratios": {},
                "target": "",
                "met": "",
                **{fw: table[task].get(fw, {}).get("train_increment_mib") for fw in FRAMEWORKS},
            }
        )
    for task in train_parts:
        values = {fw: table[task].get(fw, {}).get("test_accuracy") for fw in FRAMEWORKS}
        diff = (
            values["learnet"] - values["torch"]
            if values["learnet"] is not None and values["torch"] is not None
            else None
        )
        rows.append(
            {
                "measure": f"{task.upper()} test accuracy",
                "unit": "accuracy",
                **values,
                "ratios": {},
                "difference": diff,
                "target": f"within {ACCURACY_TOLERANCE * 100:.0f} pt of PyTorch",
                "met": check(abs(diff) if diff is not None else None, ACCURACY_TOLERANCE),
            }
        )
    return rows


def counted_rounds(runs, coretypes, repeats) -> dict:
    """Clean rounds per (coretype, task) whose frameworks all ran: ``{"auto/cnn": 3}``."""
    counts = {}
    for coretype in coretypes:
        for task in TASKS:
            fws = sorted({r["framework"] for r in runs if r["coretype"] == coretype and r["task"] == task})
            if fws:
                counts[f"{coretype}/{task}"] = len(clean_rounds(runs, coretype, task, fws))
    return counts


def scaling_table(runs) -> list:
    rows = {}
    for r in runs:
        key = (r["hidden"], r["batch_size"], r["framework"])
        rows.setdefault(key, []).append(r)
    out = []
    for (width, batch, fw), group in sorted(rows.items()):
        good = [r for r in group if ok(r)]
        entry = {
            "hidden": width,
            "batch_size": batch,
            "framework": fw,
            "epoch_seconds": med(good, "epoch_seconds_median"),
            "train_peak_rss_mib": med(good, "train_peak_rss_mib"),
            "train_increment_mib": med([{"d": r["train_peak_rss_mib"] - r["base_rss_mib"]} for r in good], "d"),
            "flops_per_epoch": med(good, "flops_per_epoch"),
            "test_accuracy": med(good, "test_accuracy"),
            "other_load": med(good, "other_load"),
        }
        if not good:
            entry["error"] = group[-1].get("error") or group[-1].get("reason")
        if entry["epoch_seconds"] and entry["flops_per_epoch"]:
            entry["gflops"] = entry["flops_per_epoch"] / entry["epoch_seconds"] / 1e9
        out.append(entry)
    return out


# ---------------------------------------------------------------- environment


def cpu_details() -> tuple:
    """The CPU's model name and, on Linux, family/model/stepping, cache and vector ISA.

    A virtual machine may show only a short model name ("AMD EPYC"); the family and
    model numbers and the AVX flags say which generation it is, and so which kernel
    OpenBLAS' auto-detection picks.
    """
    name, fields = platform.processor() or platform.machine(), {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = (part.strip() for part in line.partition(":"))
                if not line.strip():
                    break  # the first processor is enough
                if key == "model name":
                    name = value
                elif key in ("cpu family", "model", "stepping", "cache size"):
                    fields[key.replace(" ", "_")] = value
                elif key == "flags":
                    flags = set(value.split())
                    fields["vector_isa"] = sorted(
                        flag for flag in flags if flag in ("sse4_2", "avx", "avx2", "fma") or flag.startswith("avx512")
                    )
    except OSError:
        pass
    return name, fields


def environment(args, probes, peaks) -> dict:
    cpu, cpu_fields = cpu_details()
    info = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.release()} {platform.machine()}",
        "cpu": cpu,
        "cpu_details": cpu_fields,
        "logical_cpus": os.cpu_count(),
        "threads": args.threads,
        "blas_environment": {
            k: v for k, v in sorted(os.environ.items()) if k.startswith(("OPENBLAS_", "MKL_", "OMP_", "GOTO"))
        },
        "run_environments": {
            coretype: {
                k: v
                for k, v in sorted(child_env(args.threads, coretype).items())
                if k.startswith(("OPENBLAS_", "MKL_", "OMP_", "GOTO", "MALLOC_"))
            }
            for coretype in args.coretypes
        },
        "coretypes": args.coretypes,
        "datasets": "LEARNET_DATASETS"
        if os.environ.get("LEARNET_DATASETS")
        else "shared/datasets beside the repository",
    }
    for fw, probe in probes.items():
        info[fw] = {k: v for k, v in probe.items() if k not in ("framework",)}
    info["matmul_peak"] = peaks
    return info


# ---------------------------------------------------------------- formatting


def fmt(value, unit) -> str:
    if value is None:
        return "-"
    if unit == "images/s":
        return f"{value:,.0f}"
    if unit == "accuracy":
        return f"{value:.4f}"
    if unit == "overhead":
        return f"{value:+.1f} %"
    if unit == "%":
        return f"{value:.1f} %"
    if unit == "MiB" or unit == "GFLOP/s":
        return f"{value:,.1f}"
    if unit == "s":
        return f"{value:.3f}"
    return f"{value:.3g}"


def ratio_cell(entry) -> str:
    """``0.82x (0.80, 0.82, 0.85)``: the median of the per-round ratios, then each round's."""
    if not entry:
        return "-"
    rounds = ", ".join(f"{r:.2f}" for r in entry["rounds"])
    return f"{entry['median']:.2f}x ({rounds})"


def row_cells(row) -> list:
    cells = [row["measure"], *(fmt(row.get(fw), row["unit"]) for fw in FRAMEWORKS)]
    for peer in PEERS:
        if row.get("difference") is not None and peer == "torch":
            cells.append(f"{row['difference'] * 100:+.2f} pt")
        else:
            cells.append(ratio_cell(row["ratios"].get(peer)))
    return cells + [row["target"] or "", row["met"] or ""]


SUMMARY_HEADER = [
    "measure",
    *(LABELS[fw] for fw in FRAMEWORKS),
    *(f"learnet / {LABELS[peer]}" for peer in PEERS),
    "target",
    "met",
]


def markdown_table(header, rows, left: int = 1) -> str:
    """A Markdown table; the first ``left`` columns are text, the rest right-aligned."""
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" if i < left else "---:" for i in range(len(header))) + "|",
    ]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def text_table(header, rows) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda cells: "  ".join(  # noqa: E731
        str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(cells, widths))
    )
    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def gauge_of(run):
    """The lowest of a run's speed gauges (before and after the epochs, after predict; None if not measured)."""
    gauge = run.get("gauge_gflops") or []
    return min(gauge) if gauge else None


def slow_runs(runs) -> list:
    best = {}
    for r in runs:
        if gauge_of(r):
            best[r["framework"]] = max(best.get(r["framework"], 0.0), gauge_of(r))
    return [r for r in runs if gauge_of(r) and gauge_of(r) < SLOW_GAUGE * best[r["framework"]]]


def availability_lines(probes, agg, runs=()) -> list:
    """Notes above the tables: what could not run, and runs left out as disturbed."""
    lines = []
    for fw, probe in probes.items():
        if not probe.get("available"):
            lines.append(f"{LABELS[fw]}: unavailable ({probe.get('reason') or probe.get('error')})")
    for coretype, tasks in agg.items():
        for task, per in tasks.items():
            for fw, entry in per.items():
                where = f"{LABELS[fw]} {task} ({coretype})"
                if entry.get("error"):
                    lines.append(f"{where}: no run counted ({entry['error']})")
                elif entry["failed"]:
                    lines.append(f"{where}: {entry['failed']} of {entry['runs']} runs failed")
    slow = slow_runs([r for r in runs if ok(r)])
    if slow:
        lines.append(
            f"{len(slow)} counted runs were timed while the machine was slow "
            f"(speed gauge below {SLOW_GAUGE:.0%} of the best gauge of the same "
            "framework; see the 'gauge' column)"
        )
    left_out = [r for r in runs if r.get("disturbed")]
    if left_out:
        lines.append(
            f"{len(left_out)} of {len(runs)} runs stayed disturbed after their retries "
            f"(more than {DISTURBED} CPUs busy elsewhere on average) and are left out "
            "of every figure; extra rounds replaced them where --extra-rounds allowed"
        )
    return lines


def runtime_blas(runs) -> dict:
    """The BLAS kernels the runs actually used: ``{coretype: {framework: [descriptions]}}``."""
    seen = {}
    for r in runs:
        for pool in r.get("blas_runtime") or []:
            text = " ".join(
                str(pool[k])
                for k in ("internal_api", "version", "architecture", "threading_layer")
                if pool.get(k) not in (None, "")
            )
            text += f" ({pool.get('num_threads')} threads)"
            found = seen.setdefault(r["coretype"], {}).setdefault(r["framework"], [])
            if text not in found:
                found.append(text)
    return seen


def blas_lines(env, runs=()) -> list:
    lines = []
    np_info = env.get("numpy", {})
    blas = np_info.get("blas") or np_info.get("threadpools")
    if np_info:
        lines.append(f"NumPy {np_info.get('numpy')}: BLAS {json.dumps(blas)}")
    t = env.get("torch", {})
    if t.get("available"):
        lines.append(
            f"PyTorch {t.get('torch')}: BLAS {t.get('blas_info')}, CPU capability "
            f"{t.get('cpu_capability')}, oneDNN {t.get('use_mkldnn')}, "
            f"threads {t.get('num_threads')}"
        )
    k = env.get("tf", {})
    if k.get("available"):
        lines.append(
            f"TensorFlow {k.get('tensorflow')}, Keras {k.get('keras')} "
            f"(backend {k.get('keras_backend')}), oneDNN {k.get('onednn')}"
        )
    for coretype, per in runtime_blas(runs).items():
        for fw, pools in per.items():
            lines.append(f"BLAS at run time ({coretype}), {LABELS[fw]}: " + "; ".join(pools))
    for coretype, variables in env.get("run_environments", {}).items():
        lines.append(
            f"environment of the '{coretype}' runs: "
            + (", ".join(f"{k}={v}" for k, v in variables.items()) or "(none set)")
        )
    return lines


def scaling_markdown(scaling) -> str:
    if not scaling:
        return ""
    base = {}
    for e in scaling:
        if (e["hidden"], e["batch_size"]) == SCALING_BASE and e.get("epoch_seconds"):
            base[e["framework"]] = e
    out = []
    for title, axis, fixed in (
        ("hidden width (batch 128)", "hidden", ("batch_size", 128)),
        ("batch size (width 512)", "batch_size", ("hidden", 512)),
    ):
        rows = []
        for e in scaling:
            if e[fixed[0]] != fixed[1]:
                continue
            b = base.get(e["framework"])
            rel_time = ratio(e.get("epoch_seconds"), b["epoch_seconds"]) if b else None
            rel_flops = ratio(e.get("flops_per_epoch"), b["flops_per_epoch"]) if b else None
            rows.append(
                [
                    e[axis],
                    LABELS[e["framework"]],
                    fmt(e.get("epoch_seconds"), "s"),
                    "-" if rel_time is None else f"{rel_time:.2f}x",
                    "-" if rel_flops is None else f"{rel_flops:.2f}x",
                    fmt(e.get("gflops"), "GFLOP/s"),
                    fmt(e.get("train_peak_rss_mib"), "MiB"),
                    fmt(e.get("train_increment_mib"), "MiB"),
                    e.get("error")
                    or (
                        f"disturbed: {e['other_load']:.2f} CPUs busy elsewhere"
                        if (e.get("other_load") or 0) > DISTURBED
                        else ""
                    ),
                ]
            )
        rows.sort(key=lambda r: (FRAMEWORKS.index(next(k for k, v in LABELS.items() if v == r[1])), r[0]))
        out.append(
            f"### MLP epoch vs {title}\n\n"
            + markdown_table(
                [
                    axis.replace("_", " "),
                    "framework",
                    "epoch (s)",
                    "time vs 512x128",
                    "FLOPs vs 512x128",
                    "GFLOP/s",
                    "train peak RSS (MiB)",
                    "RSS above loaded data (MiB)",
                    "note",
                ],
                rows,
                left=2,
            )
        )
    return "\n\n".join(out)


def runs_markdown(runs) -> str:
    rows = []
    for r in runs:
        load = "-" if r.get("other_load") is None else f"{r['other_load']:.2f}"
        gauge = " / ".join(f"{g:.0f}" for g in r.get("gauge_gflops") or []) or "-"
        head = [r["coretype"], r["task"], LABELS[r["framework"]], r["repeat"] + 1]
        if not ok(r):
            note = (
                r.get("error")
                or r.get("reason")
                or ("disturbed after every retry: left out" if r.get("disturbed") else "")
            )
            rows.append([*head, "-", "-", "-", "-", load, gauge, note])
            continue
        rows.append(
            [
                *head,
                " / ".join(f"{s:.3f}" for s in r.get("epoch_seconds") or []) or "-",
                fmt(r.get("predict_images_per_s"), "images/s"),
                fmt(r.get("train_peak_rss_mib"), "MiB"),
                fmt(r.get("test_accuracy"), "accuracy"),
                load,
                gauge,
                f"attempt {r['attempts']}" if r.get("attempts", 1) > 1 else "",
            ]
        )
    return markdown_table(
        [
            "OpenBLAS",
            "task",
            "framework",
            "round",
            "epoch times (s)",
            "predict images/s",
            "train peak RSS (MiB)",
            "test accuracy",
            "other load (CPUs)",
            "gauge before / after epochs / after predict (GFLOP/s)",
            "note",
        ],
        rows,
        left=3,
    )


def command_line(argv) -> str:
    """The command as typed, with machine paths left out: the peer interpreter's path and
    the output folder show as ``PEER_PYTHON`` and ``OUT``."""
    placeholders = {"--peer-python": "PEER_PYTHON", "--out": "OUT"}
    shown, hidden = [], None
    for arg in argv:
        if hidden:
            shown.append(hidden)
            hidden = None
        elif arg in placeholders:
            shown.append(arg)
            hidden = placeholders[arg]
        elif arg.split("=", 1)[0] in placeholders and "=" in arg:
            option = arg.split("=", 1)[0]
            shown.append(f"{option}={placeholders[option]}")
        else:
            shown.append(arg)
    return "python benchmarks/compare.py" + "".join(f" {a}" for a in shown)


def coretype_title(coretype) -> str:
    if coretype == "auto":
        return "OpenBLAS kernel auto-detected (OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE unset)"
    return f"OPENBLAS_CORETYPE={coretype}"


def render_markdown(report, argv) -> str:
    meta, env = report["meta"], report["environment"]
    parts = [
        "# learnet vs PyTorch, TF/Keras and a NumPy floor: benchmark results",
        (
            f"Generated {env['date']} by `{command_line(argv)}` on {env['cpu']} "
            f"({env['logical_cpus']} logical CPUs): {env['threads']} threads, "
            f"{meta['train_images']:,} training and {meta['test_images']:,} test images of "
            f"Fashion-MNIST, {meta['mlp_epochs']} timed MLP epoch(s) and {meta['cnn_epochs']} CNN "
            f"epoch(s) per run, {meta['repeats']} clean interleaved rounds wanted "
            f"(counted: {', '.join(f'{k} {v}' for k, v in meta['counted_rounds'].items())}). "
            "Figures are medians over the counted runs; each ratio is the median of the "
            "per-round ratios (each round's in brackets). Runs disturbed by other work are "
            "rerun and, if still disturbed, left out. See `benchmarks/README.md`."
        ),
    ]
    notes = availability_lines(report["probes"], report["aggregate"], report["runs"] + report["scaling_runs"])
    skipped = [LABELS[fw] for fw in FRAMEWORKS if fw not in meta["frameworks"]]
    if skipped:
        notes.insert(0, f"not run (--frameworks): {', '.join(skipped)}")
    if notes:
        parts.append("\n".join(f"- {n}" for n in notes))
    for coretype, rows in report["summary"].items():
        if rows:
            headline = " (headline)" if coretype == meta["coretypes"][0] else ""
            parts.append(
                f"## {coretype_title(coretype)}{headline}\n\n"
                + markdown_table(SUMMARY_HEADER, [row_cells(r) for r in rows])
            )
    parts.append(
        "## Machine and libraries\n\n"
        + "\n".join(
            f"- {line}"
            for line in [
                f"{env['cpu']}, {env['logical_cpus']} logical CPUs, {env['platform']}, Python {env['python']}",
                "CPU "
                + ", ".join(
                    f"{k.replace('_', ' ')} {' '.join(v) if isinstance(v, list) else v}"
                    for k, v in env.get("cpu_details", {}).items()
                ),
                *blas_lines(env, report["runs"]),
            ]
        )
    )
    peaks = report["environment"]["matmul_peak"]
    rows = [
        [
            coretype,
            {"numpy": "NumPy", "torch": "PyTorch"}[fw],
            *(f"{p['gflops_by_size'][s]:.1f}" if s in p.get("gflops_by_size", {}) else "-" for s in meta["peak_sizes"]),
            (f"{p['peak_gflops']:.1f}" if "peak_gflops" in p else "-") + (" (disturbed)" if p.get("disturbed") else ""),
        ]
        for coretype, per in peaks.items()
        for fw, p in per.items()
    ]
    if rows:
        parts.append(
            "## float32 matrix-product peak (GFLOP/s)\n\n"
            + markdown_table(["OpenBLAS", "library", *(f"{s}x{s}" for s in meta["peak_sizes"]), "best"], rows, left=2)
        )
    if report["scaling"]:
        parts.append(
            f"## Scaling (MLP, {meta['scaling_limit']:,} training images, "
            f"{meta['scaling_repeats']} repeat(s), {coretype_title(meta['coretypes'][0])})\n\n"
            "Epoch time should follow the FLOPs as the width grows and stay flat as "
            "the batch grows (fewer, larger steps); the training memory above the "
            "loaded data should grow linearly with the batch.\n\n" + scaling_markdown(report["scaling"])
        )
    if report["runs"]:
        parts.append("## All runs\n\n" + runs_markdown(report["runs"]))
    return "\n\n".join(parts) + "\n"


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def output_name(args, counts) -> str:
    """``latest`` only for a full, clean run; otherwise a name that says what it is.

    A run with fewer than ``MIN_ROUNDS`` clean rounds for any (OpenBLAS setting, task),
    or on a subset of the images, never overwrites the headline ``latest.md``.
    """
    if args.name != "latest":
        return args.name
    if args.train_limit < 60000 or args.test_limit < 10000:
        return "partial"
    if not counts or min(counts.values()) < max(MIN_ROUNDS, args.repeats):
        return "disturbed"
    return "latest"


# ---------------------------------------------------------------- main


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    # Stopping the driver stops the run in progress too (subprocess.run kills
    # its child when an exception, here SystemExit, interrupts the wait).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    progress(
        f"threads {args.threads}, rounds {args.repeats}, parts {','.join(args.parts)}, "
        f"OpenBLAS {','.join(args.coretypes)}"
    )
    probes = probe_frameworks(args)
    needs_peak = "mlp" in args.parts or "scaling" in args.parts
    peaks = measure_peaks(args, probes) if needs_peak else {}
    runs = main_runs(args, probes)
    scaling = scaling_runs(args, probes) if "scaling" in args.parts else []

    agg = aggregate(runs)
    counts = counted_rounds(runs, args.coretypes, args.repeats)
    report = {
        "meta": {
            "command": command_line(argv),
            "repeats": args.repeats,
            "counted_rounds": counts,
            "coretypes": args.coretypes,
            "threads": args.threads,
            "parts": args.parts,
            "frameworks": args.frameworks,
            "train_images": args.train_limit,
            "test_images": args.test_limit,
            "mlp_epochs": args.mlp_epochs,
            "cnn_epochs": args.cnn_epochs,
            "predict_batch": 1024,
            "batch_size": 128,
            "predict_repeats": args.predict_repeats,
            "scaling_limit": args.scaling_limit,
            "scaling_repeats": args.scaling_repeats,
            "peak_sizes": args.peak_sizes.split(","),
            "accuracy_tolerance": ACCURACY_TOLERANCE,
            "disturbed_threshold_cpus": DISTURBED,
        },
        "environment": environment(args, probes, peaks),
        "probes": probes,
        "summary": {coretype: summary_rows(agg, runs, peaks, args, coretype) for coretype in args.coretypes},
        "aggregate": agg,
        "scaling": scaling_table(scaling),
        "runs": runs,
        "scaling_runs": scaling,
    }

    print()
    for line in availability_lines(probes, agg, runs + scaling):
        print(line)
    for coretype, rows in report["summary"].items():
        if rows:
            print(f"\n{coretype_title(coretype)}")
            print(text_table(SUMMARY_HEADER, [row_cells(r) for r in rows]))
    print()
    for line in blas_lines(report["environment"], runs):
        print(line)
    if report["scaling"]:
        print()
        print(scaling_markdown(report["scaling"]))

    name = output_name(args, counts)
    if name != args.name:
        print(f"\nnot a full, clean run (counted rounds: {counts}): written as {name}.md, latest.md left as it was")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / f"{name}.json", json.dumps(report, indent=1, sort_keys=True) + "\n")
    write_atomic(out / f"{name}.md", render_markdown(report, argv))
    try:
        shown = (out / name).resolve().relative_to(Path.cwd())
    except ValueError:
        shown = out / name
    print(f"\nwrote {shown}.md and {shown}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
