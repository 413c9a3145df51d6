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

FRAMEWORKS = ("learnet", "torch", "numpy")
LABELS = {"learnet": "learnet", "torch": "PyTorch", "numpy": "NumPy floor"}
WORKER_SCRIPTS = {fw: WORKERS / f"{fw}_worker.py" for fw in FRAMEWORKS}
TASKS = ("mlp", "cnn")
TASK_FRAMEWORKS = {"mlp": FRAMEWORKS, "cnn": ("learnet", "torch")}
PARTS = ("mlp", "cnn", "predict", "scaling")

SCALING_WIDTHS = (128, 256, 512, 1024, 2048)
SCALING_BATCHES = (32, 64, 128, 256, 512, 1024)
SCALING_BASE = (512, 128)  # (width, batch) both sweeps pass through

# A run during which other processes kept more than this many CPUs busy, on
# average, is "disturbed": it is run again (--retry-disturbed) and flagged.
DISTURBED = 0.2

# A run whose speed gauge (a fixed matrix product timed before and after the
# epochs) is below this fraction of the best gauge of the same framework in
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
        description="learnet vs PyTorch vs a NumPy floor, interleaved, one process per run.")
    parser.add_argument("--only", default=",".join(PARTS),
                        help=f"comma-separated subset of {','.join(PARTS)} (default: all)")
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS),
                        help="comma-separated subset of learnet,torch,numpy (default: all)")
    parser.add_argument("--repeats", type=int, help="interleaved runs per framework (3)")
    parser.add_argument("--threads", type=int, default=2, help="threads for every run (2)")
    parser.add_argument("--epochs", type=int,
                        help="timed epochs per run for both models (default: MLP 3, CNN 1)")
    parser.add_argument("--train-limit", type=int,
                        help="use the first N training images (default: all 60,000)")
    parser.add_argument("--test-limit", type=int, help="use the first N test images (10,000)")
    parser.add_argument("--predict-repeats", type=int,
                        help="timed predict passes per run, median taken (5)")
    parser.add_argument("--scaling-limit", type=int,
                        help="training images per scaling run (10,000)")
    parser.add_argument("--scaling-repeats", type=int, help="repeats of the scaling grid (1)")
    parser.add_argument("--quiet-wait", type=float, default=20,
                        help="before each run, wait up to this many seconds for other "
                             "processes on the machine to go quiet (20; 0 disables)")
    parser.add_argument("--retry-disturbed", type=int, default=2,
                        help="run a measurement again, up to this many times, when other "
                             "processes kept the machine busy during it (2)")
    parser.add_argument("--timeout", type=float, default=3600,
                        help="seconds before a single run is abandoned (3600)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: few images, one repeat, a small scaling grid; "
                             "writes quick.md/quick.json instead of latest.*")
    parser.add_argument("--out", default=str(HERE / "results"),
                        help="folder for latest.md and latest.json (benchmarks/results)")
    args = parser.parse_args(argv)

    pick = 1 if args.quick else 0
    for name, values in DEFAULTS.items():
        if getattr(args, name, None) is None:
            setattr(args, name, values[pick])
    if args.epochs is not None:
        args.mlp_epochs = args.cnn_epochs = args.epochs
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


def child_env(threads: int) -> dict:
    env = dict(os.environ)
    for name in common.THREAD_VARIABLES:
        env[name] = str(threads)
    return env


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


def wait_for_quiet(max_wait: float, threshold: float = 0.25, window: float = 1.0,
                   quiet_windows: int = 2) -> float:
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


def run_child(script: Path, options: list, args, *, measuring: bool = True) -> dict:
    """Run one worker in a fresh process; return its JSON line (or an error record).

    A measuring run first waits for the machine to be quiet (``--quiet-wait``).

    Also records ``other_load``: the CPUs that processes other than this run
    kept busy, on average, while it ran (0 on a quiet machine). A run with a
    high value was disturbed.
    """
    command = [sys.executable, str(script), *map(str, options), "--threads", str(args.threads)]
    waited = wait_for_quiet(args.quiet_wait) if measuring and args.quiet_wait > 0 else 0.0
    busy0, own0 = busy_cpu_seconds(), children_cpu_seconds()
    started = time.perf_counter()
    try:
        proc = subprocess.run(command, env=child_env(args.threads), cwd=REPO_ROOT,
                              capture_output=True, text=True, timeout=args.timeout)
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


def measured_run(script: Path, options: list, args) -> dict:
    """``run_child``, repeated while the machine was busy with other work.

    Up to ``--retry-disturbed`` more attempts are made when a run is disturbed
    (see ``DISTURBED``); the least disturbed attempt is kept, and the record
    says how many attempts there were and what the others' loads were.
    """
    attempts = []
    for _ in range(1 + max(0, args.retry_disturbed)):
        result = run_child(script, options, args)
        attempts.append(result)
        if "error" in result or (result.get("other_load") or 0.0) <= DISTURBED:
            break
    if any("error" in r for r in attempts):
        keep = len(attempts) - 1
    else:
        keep = min(range(len(attempts)), key=lambda i: attempts[i].get("other_load") or 0.0)
    best = dict(attempts[keep], attempts=len(attempts))
    if len(attempts) > 1:
        best["discarded_other_loads"] = [r.get("other_load")
                                         for i, r in enumerate(attempts) if i != keep]
    return best


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- measuring


def probe_frameworks(args) -> dict:
    probes = {}
    for fw in args.frameworks:
        probes[fw] = run_child(WORKER_SCRIPTS[fw], ["--probe"], args, measuring=False)
        state = "available" if probes[fw].get("available") else \
            f"unavailable ({probes[fw].get('reason') or probes[fw].get('error')})"
        progress(f"probe {LABELS[fw]}: {state}")
    return probes


def usable(probes, fw, task) -> bool:
    probe = probes.get(fw, {})
    if not probe.get("available"):
        return False
    return task in probe.get("tasks", TASKS) and task in TASK_FRAMEWORKS and \
        fw in TASK_FRAMEWORKS[task]


def measure_peaks(args, probes) -> dict:
    peaks = {}
    for fw in ("numpy", "torch"):
        if fw == "numpy" or probes.get("torch", {}).get("available"):
            result = measured_run(WORKERS / "peak_worker.py",
                                  ["--framework", fw, "--sizes", args.peak_sizes], args)
            peaks[fw] = result
            progress(f"matmul peak {fw}: "
                     + (f"{result['peak_gflops']:.1f} GFLOP/s" if "peak_gflops" in result
                        else str(result.get("error") or result.get("reason"))))
    return peaks


def worker_options(task, args, *, epochs, hidden=512, batch=128, train_limit=None,
                   test_limit=None, predict_repeats=None, seed=0):
    return ["--task", task, "--epochs", epochs, "--hidden", hidden, "--batch-size", batch,
            "--train-limit", train_limit or args.train_limit,
            "--test-limit", test_limit or args.test_limit,
            "--predict-batch", 1024,
            "--predict-repeats", predict_repeats or args.predict_repeats, "--seed", seed]


def main_runs(args, probes) -> list:
    """The interleaved MLP/CNN runs (training unless only predict was asked for)."""
    plan = []
    for task in TASKS:
        train = task in args.parts
        if not train and "predict" not in args.parts:
            continue
        epochs = (args.mlp_epochs if task == "mlp" else args.cnn_epochs) if train else 0
        for fw in args.frameworks:
            if usable(probes, fw, task):
                plan.append((task, fw, epochs))
    runs, total = [], len(plan) * args.repeats
    for repeat in range(args.repeats):
        for task, fw, epochs in plan:
            options = worker_options(task, args, epochs=epochs, seed=repeat)
            result = measured_run(WORKER_SCRIPTS[fw], options, args)
            result.update(task=task, framework=fw, repeat=repeat, epochs=epochs)
            runs.append(result)
            progress(f"[{len(runs):3d}/{total}] {describe_run(result)}")
    return runs


def scaling_runs(args, probes) -> list:
    """MLP epoch time and memory over the width sweep and the batch sweep."""
    width0, batch0 = SCALING_BASE
    configs = [(w, batch0) for w in args.scaling_widths]
    configs += [(width0, b) for b in args.scaling_batches if (width0, b) not in configs]
    fws = [fw for fw in args.frameworks if usable(probes, fw, "mlp")]
    runs, total = [], len(configs) * len(fws) * args.scaling_repeats
    for repeat in range(args.scaling_repeats):
        for width, batch in configs:
            for fw in fws:
                options = worker_options("mlp", args, epochs=1, hidden=width, batch=batch,
                                         train_limit=args.scaling_limit, test_limit=1024,
                                         predict_repeats=1, seed=repeat)
                result = measured_run(WORKER_SCRIPTS[fw], options, args)
                result.update(task="mlp", framework=fw, repeat=repeat, hidden=width,
                              batch_size=batch)
                runs.append(result)
                progress(f"[scaling {len(runs):3d}/{total}] width {width:4d} batch {batch:4d} "
                         f"{describe_run(result)}")
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
    parts.append(f"({r['wall_seconds']:.1f} s"
                 + (f", other load {r['other_load']:.2f} CPUs" if "other_load" in r else "")
                 + (f", best of {r['attempts']} attempts" if r.get("attempts", 1) > 1 else "")
                 + ")")
    return "  ".join(parts)


# ---------------------------------------------------------------- summarising


def ok(r) -> bool:
    return "error" not in r and r.get("available", True)


def med(runs, key):
    values = [r[key] for r in runs if ok(r) and r.get(key) is not None]
    return common.median(values)


def spread(runs, key):
    values = [r[key] for r in runs if ok(r) and r.get(key) is not None]
    return (min(values), max(values)) if values else None


def aggregate(runs) -> dict:
    """Medians per (task, framework) over the repeats."""
    table = {}
    for task in TASKS:
        for fw in FRAMEWORKS:
            mine = [r for r in runs if r["task"] == task and r["framework"] == fw]
            if not mine:
                continue
            good = [r for r in mine if ok(r)]
            entry = {"runs": len(mine), "succeeded": len(good)}
            if not good:
                entry["error"] = mine[-1].get("error") or mine[-1].get("reason")
            for key in ("epoch_seconds_median", "predict_images_per_s", "train_peak_rss_mib",
                        "peak_rss_mib", "base_rss_mib", "test_accuracy", "test_loss",
                        "train_accuracy", "train_loss", "flops_per_epoch", "other_load"):
                entry[key] = med(good, key)
            entry["epoch_seconds_range"] = spread(good, "epoch_seconds_median")
            entry["test_accuracy_range"] = spread(good, "test_accuracy")
            if entry["train_peak_rss_mib"] is not None and entry["base_rss_mib"] is not None:
                entry["train_increment_mib"] = med(
                    [{"d": r["train_peak_rss_mib"] - r["base_rss_mib"]} for r in good], "d")
            if entry.get("flops_per_epoch") and entry.get("epoch_seconds_median"):
                entry["gflops"] = entry["flops_per_epoch"] / entry["epoch_seconds_median"] / 1e9
            table.setdefault(task, {})[fw] = entry
    return table


def ratio(a, b):
    return a / b if a is not None and b else None


def check(value, limit, *, at_most=True):
    if value is None:
        return "n/a"
    return "yes" if (value <= limit if at_most else value >= limit) else "NO"


def summary_rows(agg, peaks, args) -> list:
    """The headline table: one dict per row."""
    rows = []

    def get(task, fw, key):
        return agg.get(task, {}).get(fw, {}).get(key)

    peak = peaks.get("numpy", {}).get("peak_gflops")
    train_parts = [t for t in TASKS if t in args.parts]

    for task in train_parts:
        name = task.upper()
        lt, tt = get(task, "learnet", "epoch_seconds_median"), get(task, "torch", "epoch_seconds_median")
        limit = 0.9 if task == "mlp" else 1.5
        r = ratio(lt, tt)
        rows.append({"measure": f"{name} epoch (s)", "unit": "s", "learnet": lt, "torch": tt,
                     "numpy": get(task, "numpy", "epoch_seconds_median"),
                     "ratio": r, "target": f"<= {limit}x PyTorch", "met": check(r, limit)})
        if task == "mlp":
            floor = get("mlp", "numpy", "epoch_seconds_median")
            overhead = (lt / floor - 1) * 100 if lt is not None and floor else None
            rows.append({"measure": "MLP time over the NumPy floor", "unit": "overhead",
                         "learnet": overhead, "torch": (tt / floor - 1) * 100
                         if tt is not None and floor else None, "numpy": None,
                         "ratio": None, "target": "<= 10 %", "met": check(overhead, 10)})
            gf = {fw: get("mlp", fw, "gflops") for fw in FRAMEWORKS}
            rows.append({"measure": "MLP epoch GFLOP/s", "unit": "GFLOP/s", **gf,
                         "ratio": ratio(gf["learnet"], gf["torch"]), "target": "", "met": ""})
            if peak:
                rows.append({"measure": "MLP epoch, % of NumPy matmul peak", "unit": "%",
                             **{fw: gf[fw] / peak * 100 if gf[fw] else None for fw in FRAMEWORKS},
                             "ratio": None, "target": f"peak {peak:.0f} GFLOP/s", "met": ""})

    if "predict" in args.parts:
        for task in TASKS:
            if task not in agg:
                continue
            values = {fw: get(task, fw, "predict_images_per_s") for fw in FRAMEWORKS}
            r = ratio(values["learnet"], values["torch"])
            target = task == "mlp"
            rows.append({"measure": f"{task.upper()} predict, batch 1024 (images/s)",
                         "unit": "images/s", **values, "ratio": r,
                         "target": ">= 1x PyTorch" if target else "",
                         "met": check(r, 1.0, at_most=False) if target else ""})

    for task in train_parts:
        values = {fw: get(task, fw, "train_peak_rss_mib") for fw in FRAMEWORKS}
        r = ratio(values["learnet"], values["torch"])
        rows.append({"measure": f"{task.upper()} training peak RSS (MiB)", "unit": "MiB",
                     **values, "ratio": r, "target": "<= 1.5x PyTorch", "met": check(r, 1.5)})
        values = {fw: get(task, fw, "train_increment_mib") for fw in FRAMEWORKS}
        rows.append({"measure": f"{task.upper()} training RSS above loaded data (MiB)",
                     "unit": "MiB", **values, "ratio": ratio(values["learnet"], values["torch"]),
                     "target": "", "met": ""})

    for task in train_parts:
        values = {fw: get(task, fw, "test_accuracy") for fw in FRAMEWORKS}
        diff = values["learnet"] - values["torch"] \
            if values["learnet"] is not None and values["torch"] is not None else None
        rows.append({"measure": f"{task.upper()} test accuracy", "unit": "accuracy", **values,
                     "ratio": None, "difference": diff,
                     "target": f"within {ACCURACY_TOLERANCE * 100:.0f} pt of PyTorch",
                     "met": check(abs(diff) if diff is not None else None, ACCURACY_TOLERANCE)})
    return rows


def scaling_table(runs) -> list:
    rows = {}
    for r in runs:
        key = (r["hidden"], r["batch_size"], r["framework"])
        rows.setdefault(key, []).append(r)
    out = []
    for (width, batch, fw), group in sorted(rows.items()):
        good = [r for r in group if ok(r)]
        entry = {"hidden": width, "batch_size": batch, "framework": fw,
                 "epoch_seconds": med(good, "epoch_seconds_median"),
                 "train_peak_rss_mib": med(good, "train_peak_rss_mib"),
                 "train_increment_mib": med([{"d": r["train_peak_rss_mib"] - r["base_rss_mib"]}
                                             for r in good], "d"),
                 "flops_per_epoch": med(good, "flops_per_epoch"),
                 "test_accuracy": med(good, "test_accuracy"),
                 "other_load": med(good, "other_load")}
        if not good:
            entry["error"] = group[-1].get("error") or group[-1].get("reason")
        if entry["epoch_seconds"] and entry["flops_per_epoch"]:
            entry["gflops"] = entry["flops_per_epoch"] / entry["epoch_seconds"] / 1e9
        out.append(entry)
    return out


# ---------------------------------------------------------------- environment


def environment(args, probes, peaks) -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.release()} {platform.machine()}",
        "cpu": cpu,
        "logical_cpus": os.cpu_count(),
        "threads": args.threads,
        "blas_environment": {k: v for k, v in sorted(os.environ.items())
                             if k.startswith(("OPENBLAS_", "MKL_", "OMP_", "GOTO"))},
        "datasets": "LEARNET_DATASETS" if os.environ.get("LEARNET_DATASETS")
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


def row_cells(row) -> list:
    if row.get("difference") is not None:
        rel = f"{row['difference'] * 100:+.2f} pt"
    else:
        rel = "-" if row["ratio"] is None else f"{row['ratio']:.2f}x"
    return [row["measure"], *(fmt(row.get(fw), row["unit"]) for fw in FRAMEWORKS), rel,
            row["target"] or "", row["met"] or ""]


SUMMARY_HEADER = ["measure", "learnet", "PyTorch", "NumPy floor", "learnet / PyTorch",
                  "target", "met"]


def markdown_table(header, rows, left: int = 1) -> str:
    """A Markdown table; the first ``left`` columns are text, the rest right-aligned."""
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" if i < left else "---:" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def text_table(header, rows) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda cells: "  ".join(  # noqa: E731
        str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def gauge_of(run):
    """The lower of the before/after speed gauges of a run (None if not measured)."""
    gauge = run.get("gauge_gflops") or []
    return min(gauge) if gauge else None


def slow_runs(runs) -> list:
    best = {}
    for r in runs:
        if gauge_of(r):
            best[r["framework"]] = max(best.get(r["framework"], 0.0), gauge_of(r))
    return [r for r in runs if gauge_of(r) and gauge_of(r) < SLOW_GAUGE * best[r["framework"]]]


def availability_lines(probes, agg, runs=()) -> list:
    """Notes above the table: what could not run, and runs that were disturbed."""
    lines = []
    for fw, probe in probes.items():
        if not probe.get("available"):
            lines.append(f"{LABELS[fw]}: unavailable ({probe.get('reason') or probe.get('error')})")
    for task, per in agg.items():
        for fw, entry in per.items():
            if entry.get("error"):
                lines.append(f"{LABELS[fw]} {task}: all {entry['runs']} runs failed: "
                             f"{entry['error']}")
            elif entry["succeeded"] < entry["runs"]:
                lines.append(f"{LABELS[fw]} {task}: {entry['runs'] - entry['succeeded']} of "
                             f"{entry['runs']} runs failed")
    slow = slow_runs(runs)
    if slow:
        lines.append(f"{len(slow)} of {len(runs)} runs were timed while the machine was slow "
                     f"(speed gauge below {SLOW_GAUGE:.0%} of the best gauge of the same "
                     "framework; see the 'gauge' column)")
    disturbed = [r for r in runs if (r.get("other_load") or 0) > DISTURBED]
    if disturbed:
        lines.append(f"{len(disturbed)} of {len(runs)} runs shared the machine with other work "
                     f"(more than {DISTURBED} CPUs busy elsewhere on average; see the "
                     "'other load' column): their times are less trustworthy")
    return lines


def blas_lines(env) -> list:
    lines = []
    np_info = env.get("numpy", {})
    blas = np_info.get("blas") or np_info.get("threadpools")
    if np_info:
        lines.append(f"NumPy {np_info.get('numpy')}: BLAS {json.dumps(blas)}")
    t = env.get("torch", {})
    if t.get("available"):
        lines.append(f"PyTorch {t.get('torch')}: BLAS {t.get('blas_info')}, CPU capability "
                     f"{t.get('cpu_capability')}, oneDNN {t.get('use_mkldnn')}, "
                     f"threads {t.get('num_threads')}")
    lines.append("BLAS/OpenMP environment given to every run: "
                 + (", ".join(f"{k}={v}" for k, v in env["blas_environment"].items())
                    or "(none set)") + f"; thread variables set to {env['threads']}")
    return lines


def scaling_markdown(scaling) -> str:
    if not scaling:
        return ""
    base = {}
    for e in scaling:
        if (e["hidden"], e["batch_size"]) == SCALING_BASE and e.get("epoch_seconds"):
            base[e["framework"]] = e
    out = []
    for title, axis, fixed in (("hidden width (batch 128)", "hidden", ("batch_size", 128)),
                               ("batch size (width 512)", "batch_size", ("hidden", 512))):
        rows = []
        for e in scaling:
            if e[fixed[0]] != fixed[1]:
                continue
            b = base.get(e["framework"])
            rel_time = ratio(e.get("epoch_seconds"), b["epoch_seconds"]) if b else None
            rel_flops = ratio(e.get("flops_per_epoch"), b["flops_per_epoch"]) if b else None
            rows.append([e[axis], LABELS[e["framework"]],
                         fmt(e.get("epoch_seconds"), "s"),
                         "-" if rel_time is None else f"{rel_time:.2f}x",
                         "-" if rel_flops is None else f"{rel_flops:.2f}x",
                         fmt(e.get("gflops"), "GFLOP/s"),
                         fmt(e.get("train_peak_rss_mib"), "MiB"),
                         fmt(e.get("train_increment_mib"), "MiB"),
                         e.get("error") or (f"disturbed: {e['other_load']:.2f} CPUs busy elsewhere"
                                            if (e.get("other_load") or 0) > DISTURBED else "")])
        rows.sort(key=lambda r: (FRAMEWORKS.index(next(k for k, v in LABELS.items()
                                                        if v == r[1])), r[0]))
        out.append(f"### MLP epoch vs {title}\n\n" + markdown_table(
            [axis.replace("_", " "), "framework", "epoch (s)", "time vs 512x128",
             "FLOPs vs 512x128", "GFLOP/s", "train peak RSS (MiB)",
             "RSS above loaded data (MiB)", "note"], rows, left=2))
    return "\n\n".join(out)


def runs_markdown(runs) -> str:
    rows = []
    for r in runs:
        load = "-" if r.get("other_load") is None else f"{r['other_load']:.2f}"
        gauge = " / ".join(f"{g:.0f}" for g in r.get("gauge_gflops") or []) or "-"
        if not ok(r):
            rows.append([r["task"], LABELS[r["framework"]], r["repeat"] + 1,
                         "-", "-", "-", "-", load, gauge, r.get("error") or r.get("reason")])
            continue
        rows.append([r["task"], LABELS[r["framework"]], r["repeat"] + 1,
                     " / ".join(f"{s:.3f}" for s in r.get("epoch_seconds") or []) or "-",
                     fmt(r.get("predict_images_per_s"), "images/s"),
                     fmt(r.get("train_peak_rss_mib"), "MiB"),
                     fmt(r.get("test_accuracy"), "accuracy"), load, gauge, ""])
    return markdown_table(["task", "framework", "repeat", "epoch times (s)", "predict images/s",
                           "train peak RSS (MiB)", "test accuracy", "other load (CPUs)",
                           "gauge before / after (GFLOP/s)", "note"],
                          rows, left=2)


def command_line(argv) -> str:
    return "python benchmarks/compare.py" + "".join(f" {a}" for a in argv)


def render_markdown(report, argv) -> str:
    meta, env = report["meta"], report["environment"]
    parts = [
        "# learnet vs PyTorch: benchmark results",
        f"Generated {env['date']} by `{command_line(argv)}`: {meta['repeats']} interleaved "
        f"repeat(s), {env['threads']} threads, {meta['train_images']:,} training and "
        f"{meta['test_images']:,} test images of Fashion-MNIST, {meta['mlp_epochs']} timed "
        f"MLP epoch(s) and {meta['cnn_epochs']} CNN epoch(s) per run. "
        "Figures are medians over the repeats; ratios are learnet / PyTorch. "
        "See `benchmarks/README.md` for what each number means.",
    ]
    notes = availability_lines(report["probes"], report["aggregate"],
                               report["runs"] + report["scaling_runs"])
    skipped = [LABELS[fw] for fw in FRAMEWORKS if fw not in meta["frameworks"]]
    if skipped:
        notes.insert(0, f"not run (--frameworks): {', '.join(skipped)}")
    if notes:
        parts.append("\n".join(f"- {n}" for n in notes))
    if report["summary"]:
        parts.append("## Summary\n\n" + markdown_table(
            SUMMARY_HEADER, [row_cells(r) for r in report["summary"]]))
    parts.append("## Machine and libraries\n\n" + "\n".join(
        f"- {line}" for line in [f"{env['cpu']}, {env['logical_cpus']} logical CPUs, "
                                 f"{env['platform']}, Python {env['python']}",
                                 *blas_lines(env)]))
    peaks = report["environment"]["matmul_peak"]
    if peaks:
        rows = [[{"numpy": "NumPy", "torch": "PyTorch"}[fw], *(f"{p['gflops_by_size'][s]:.1f}" if s in p.get("gflops_by_size", {})
                               else "-" for s in meta["peak_sizes"]),
                 f"{p['peak_gflops']:.1f}" if "peak_gflops" in p else "-"]
                for fw, p in peaks.items()]
        parts.append("## float32 matrix-product peak (GFLOP/s)\n\n" + markdown_table(
            ["library", *(f"{s}x{s}" for s in meta["peak_sizes"]), "best"], rows))
    if report["scaling"]:
        parts.append(f"## Scaling (MLP, {meta['scaling_limit']:,} training images, "
                     f"{meta['scaling_repeats']} repeat(s))\n\n"
                     "Epoch time should follow the FLOPs as the width grows and stay flat as "
                     "the batch grows (fewer, larger steps); the training memory above the "
                     "loaded data should grow linearly with the batch.\n\n"
                     + scaling_markdown(report["scaling"]))
    if report["runs"]:
        parts.append("## All runs\n\n" + runs_markdown(report["runs"]))
    return "\n\n".join(parts) + "\n"


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


# ---------------------------------------------------------------- main


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    # Stopping the driver stops the run in progress too (subprocess.run kills
    # its child when an exception, here SystemExit, interrupts the wait).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    progress(f"threads {args.threads}, repeats {args.repeats}, parts {','.join(args.parts)}")
    probes = probe_frameworks(args)
    needs_peak = "mlp" in args.parts or "scaling" in args.parts
    peaks = measure_peaks(args, probes) if needs_peak else {}
    runs = main_runs(args, probes)
    scaling = scaling_runs(args, probes) if "scaling" in args.parts else []

    agg = aggregate(runs)
    report = {
        "meta": {"command": command_line(argv), "repeats": args.repeats,
                 "threads": args.threads, "parts": args.parts,
                 "frameworks": args.frameworks, "train_images": args.train_limit,
                 "test_images": args.test_limit, "mlp_epochs": args.mlp_epochs,
                 "cnn_epochs": args.cnn_epochs, "predict_batch": 1024,
                 "batch_size": 128, "predict_repeats": args.predict_repeats,
                 "scaling_limit": args.scaling_limit, "scaling_repeats": args.scaling_repeats,
                 "peak_sizes": args.peak_sizes.split(","),
                 "accuracy_tolerance": ACCURACY_TOLERANCE},
        "environment": environment(args, probes, peaks),
        "probes": probes,
        "summary": summary_rows(agg, peaks, args),
        "aggregate": agg,
        "scaling": scaling_table(scaling),
        "runs": runs,
        "scaling_runs": scaling,
    }

    print()
    for line in availability_lines(probes, agg, runs + scaling):
        print(line)
    if report["summary"]:
        print(text_table(SUMMARY_HEADER, [row_cells(r) for r in report["summary"]]))
    for line in blas_lines(report["environment"]):
        print(line)
    if peaks:
        print("float32 matmul peak: " + ", ".join(
            f"{'NumPy' if fw == 'numpy' else 'PyTorch'} {p['peak_gflops']:.1f} GFLOP/s"
            for fw, p in peaks.items() if "peak_gflops" in p))
    if report["scaling"]:
        print()
        print(scaling_markdown(report["scaling"]))

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / f"{args.name}.json", json.dumps(report, indent=1, sort_keys=True) + "\n")
    write_atomic(out / f"{args.name}.md", render_markdown(report, argv))
    try:
        shown = (out / args.name).resolve().relative_to(Path.cwd())
    except ValueError:
        shown = out / args.name
    print(f"\nwrote {shown}.md and {shown}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
