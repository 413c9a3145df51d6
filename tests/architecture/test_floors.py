"""The map is kept true: no module imports from a higher floor, every module has a floor,
and the known import circles stay gone."""

import sys

import pytest

import floors


def test_no_module_imports_from_a_higher_floor():
    problems = [line for path in floors.source_files() for line in floors.wrong_floor_imports(path)]
    assert not problems, "imports from a higher floor (see docs/ARCHITECTURE.md):\n" + "\n".join(problems)


def test_every_module_is_placed_on_a_floor():
    unplaced = [
        floors.module_name(p)
        for p in floors.source_files()
        if floors.module_name(p) != "learnet" and floors.floor_of(floors.module_name(p)) is None
    ]
    assert not unplaced, (
        f"modules without a floor: {unplaced}; place them in tests/architecture/floors.py and in docs/ARCHITECTURE.md"
    )


def test_the_architecture_document_places_every_top_level_module():
    text = (floors.PACKAGE.parents[1] / "docs" / "ARCHITECTURE.md").read_text()
    missing = [
        name for names in floors.FLOORS.values() for name in names if name != "__main__" and f"`{name}" not in text
    ]
    assert not missing, f"docs/ARCHITECTURE.md does not place {missing}"


# --- the test of the test: a planted wrong-floor import is found ----------------------------------
def plant(tmp_path, relative, source):
    path = tmp_path / "learnet" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source)
    return path


@pytest.mark.parametrize(
    "relative, source, culprit",
    [
        ("tensor.py", "from learnet.layers import Dense\n", "learnet.layers"),
        ("ops/math.py", "def f():\n    from learnet import models\n", "learnet.models"),  # hidden in a function
        ("layers/core.py", "from ..models import Sequential\n", "learnet.models"),  # relative
        ("backend.py", "import learnet.tape\n", "learnet.tape"),
        ("saving.py", "from learnet.utils import plot_model\n", "learnet.utils"),
    ],
)
def test_a_planted_wrong_floor_import_is_found(tmp_path, relative, source, culprit):
    path = plant(tmp_path, relative, source)
    problems = floors.wrong_floor_imports(path, package=tmp_path / "learnet")
    assert len(problems) == 1 and culprit in problems[0]


@pytest.mark.parametrize(
    "relative, source",
    [
        ("layers/core.py", "from learnet.ops import math\nfrom learnet import initializers\n"),
        ("models/model.py", "from learnet import callbacks, layers, tape\n"),
        ("cli.py", "from learnet import datasets, models\n"),
    ],
)
def test_imports_down_or_level_are_fine(tmp_path, relative, source):
    assert floors.wrong_floor_imports(plant(tmp_path, relative, source), package=tmp_path / "learnet") == []


# --- circles --------------------------------------------------------------------------------------------
def import_graph():
    """module -> the learnet modules it imports (at any depth), file by file."""
    graph = {}
    for path in floors.source_files():
        module = floors.module_name(path)
        graph[module] = {
            name for _, name in floors.imported_modules(path.read_text(), module, path.name == "__init__.py")
        }
    return graph


def reaches(graph, start, goal):
    seen, todo = set(), [start]
    while todo:
        module = todo.pop()
        for name in graph.get(module, ()):
            # `from learnet.models.model import Model` reaches the module learnet.models.model
            while name not in graph and "." in name:
                name = name.rsplit(".", 1)[0]
            if name == goal:
                return True
            if name not in seen and name != "learnet":
                seen.add(name)
                todo.append(name)
    return False


@pytest.mark.parametrize(
    "user, used",
    [
        ("learnet.models.model", "learnet.saving"),  # Model.save writes through saving ...
        ("learnet.layers.core", "learnet.activations"),  # layers take activations by name ...
    ],
)
def test_the_removed_circles_stay_removed(user, used):
    graph = import_graph()
    assert reaches(graph, user, used), f"{user} no longer reaches {used}: update this test"
    # ... but never the other way round: saving finds model classes in the registry, and
    # activations.get finds a layer class ("ReLU") there too.
    assert not reaches(graph, used, user), f"{used} imports {user} again, which imports it: a circle"


def test_importing_the_blocks_does_not_load_the_models():
    code = (
        "import sys, learnet.activations, learnet.layers, learnet.losses, learnet.metrics; "
        "print(sorted(m for m in sys.modules if m.startswith(('learnet.models', 'learnet.saving'))))"
    )
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
