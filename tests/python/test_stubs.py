"""python/bronze/_bronze.pyi against the extension bronze._bronze: every public name of the
extension (functions, classes, their methods and properties) is in the stub and vice versa, with
the same kind (method vs property) and the same parameter names; the stub and py.typed ship with
the package (pyproject's wheel.packages takes python/bronze whole, and nothing excludes them)."""

from __future__ import annotations

import ast
import re
import subprocess
import tomllib
from pathlib import Path

from bronze import _bronze

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "python" / "bronze"
STUB = PACKAGE / "_bronze.pyi"
# Dunders the bindings define themselves (pybind11 adds others, e.g. __init__ on classes
# without a constructor, which are not part of the API).
BOUND_DUNDERS = {"__init__", "__eq__", "__hash__", "__repr__"}


def _public(name: str) -> bool:
    return not name.startswith("_") or name in BOUND_DUNDERS or name == "__version__"


def _is_binding(obj) -> bool:
    """A function or method pybind11 made (its doc starts with the signature)."""
    return type(obj).__name__ in ("instancemethod", "builtin_function_or_method")


def runtime_api() -> dict:
    """{name: kind} for module-level names and {"Class.member": kind} for class members."""
    api = {}
    for name, obj in vars(_bronze).items():
        if not _public(name):
            continue
        if isinstance(obj, type):
            api[name] = "class"
            for member, attr in vars(obj).items():
                if not _public(member):
                    continue
                if isinstance(attr, property):
                    api[f"{name}.{member}"] = "property"
                elif _is_binding(attr):
                    api[f"{name}.{member}"] = "method"
        elif callable(obj):
            api[name] = "function"
        else:
            api[name] = "variable"
    return api


def stub_api() -> tuple[dict, dict]:
    """({name: kind} as runtime_api gives, {name: [parameter names]}) from the parsed stub."""
    tree = ast.parse(STUB.read_text())
    api, params = {}, {}

    def parameters(fn: ast.FunctionDef) -> list[str]:
        a = fn.args
        return [p.arg for p in a.posonlyargs + a.args + a.kwonlyargs]

    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and _public(node.name):
            api[node.name] = "function"
            params[node.name] = parameters(node)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            if _public(node.target.id):
                api[node.target.id] = "variable"
        elif isinstance(node, ast.ClassDef) and _public(node.name):
            api[node.name] = "class"
            for item in node.body:
                if not isinstance(item, ast.FunctionDef) or not _public(item.name):
                    continue
                key = f"{node.name}.{item.name}"
                is_property = any(isinstance(d, ast.Name) and d.id == "property"
                                  for d in item.decorator_list)
                api[key] = "property" if is_property else "method"
                params[key] = parameters(item)
    return api, params


def runtime_parameters(obj) -> list[str]:
    """Parameter names from pybind11's signature line "name(a: T, b: U = d) -> R" (the first
    overload)."""
    line = (obj.__doc__ or "").splitlines()[0]
    inside = line[line.index("(") + 1:line.rindex(") ->")]
    names, depth, current = [], 0, ""
    for ch in inside + ",":
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        if ch == "," and depth == 0:
            if current.strip():
                names.append(current.split(":")[0].strip())
            current = ""
        else:
            current += ch
    return names


def test_stub_parses_and_names_exist():
    assert STUB.is_file()
    ast.parse(STUB.read_text())


def test_every_extension_name_is_in_the_stub_and_vice_versa():
    runtime = runtime_api()
    stub, _ = stub_api()
    assert len(runtime) > 50  # the walk found the API at all
    missing = sorted(set(runtime) - set(stub))
    extra = sorted(set(stub) - set(runtime))
    assert not missing, f"in bronze._bronze but not in _bronze.pyi: {missing}"
    assert not extra, f"in _bronze.pyi but not in bronze._bronze: {extra}"
    wrong_kind = {k: (runtime[k], stub[k]) for k in runtime if runtime[k] != stub[k]}
    assert not wrong_kind, f"(extension kind, stub kind) differ: {wrong_kind}"


def test_stub_parameter_names_match_the_bindings():
    runtime = runtime_api()
    _, stub_params = stub_api()
    for key, kind in runtime.items():
        if kind not in ("function", "method") or key not in stub_params:
            continue  # a missing name fails the test above
        cls, _, member = key.rpartition(".")
        obj = getattr(getattr(_bronze, cls), member) if cls else getattr(_bronze, key)
        names = runtime_parameters(obj)
        expected = stub_params[key]
        assert len(names) == len(expected), f"{key}: extension {names}, stub {expected}"
        for got, want in zip(names, expected):
            # pybind11 names unnamed arguments arg0, arg1, ...: the stub gives them a name and
            # makes them positional-only.
            if not re.fullmatch(r"arg\d+", got):
                assert got == want, f"{key}: extension {names}, stub {expected}"


def test_unnamed_binding_arguments_are_positional_only_in_the_stub():
    tree = ast.parse(STUB.read_text())
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        for fn in (n for n in cls.body if isinstance(n, ast.FunctionDef)):
            obj = getattr(getattr(_bronze, cls.name), fn.name, None)
            if obj is None or not _is_binding(obj) or fn.name in BOUND_DUNDERS:
                continue
            unnamed = [n for n in runtime_parameters(obj) if re.fullmatch(r"arg\d+", n)]
            positional_only = [p.arg for p in fn.args.posonlyargs if p.arg != "self"]
            assert len(unnamed) == len(positional_only), f"{cls.name}.{fn.name}"


def test_stub_and_py_typed_ship_with_the_package():
    assert (PACKAGE / "py.typed").is_file()
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["scikit-build"]
    # scikit-build-core copies every file of a wheel.packages folder that is not excluded.
    assert "python/bronze" in config["wheel"]["packages"]
    excluded = config["wheel"].get("exclude", []) + config.get("sdist", {}).get("exclude", [])
    for pattern in excluded:
        for name in ("_bronze.pyi", "py.typed"):
            assert not Path(name).match(pattern.lstrip("/")), f"{pattern} excludes {name}"
    ignored = subprocess.run(["git", "check-ignore", "python/bronze/_bronze.pyi",
                              "python/bronze/py.typed"], cwd=ROOT, capture_output=True, text=True,
                             check=False)
    assert ignored.returncode == 1, f"git ignores {ignored.stdout.split()}"
