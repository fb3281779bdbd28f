"""`make mutate MODULE=discussions/writes/ TESTS="tests/test_writes.py"`: do the tests notice a wrong line?

Mutation sampling: one small change to the code at a time (a flipped comparison, `and` for `or`,
True for False, a constant moved by one, a statement or a `raise` deleted), then the area's tests.
A mutant the tests fail on is killed; one they pass with survived, and names a line whose
behaviour no test pins down.

1. Reads the module (or every .py file of a folder) with `ast` and lists every place one of the
   changes below applies; picks N of them at random with a fixed seed, so a run can be repeated.
2. Copies the project (without .venv, .git, data) into a temporary folder once; each mutant is
   written there, the tests run there (`pytest -x -q`, with a timeout: a mutant that loops is
   killed), and the file is put back. The working tree is never touched, so one can work on.
3. Reports each mutant (killed or survived, its file:line, the change, the line as it was) and the
   share killed; exit status 1 when a mutant survived.

Run with the project's virtualenv from the project root:
`.venv/bin/python bench/mutate.py discussions/importer.py --tests tests/test_import.py -n 40`.
"""

import argparse
import ast
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

COMPARISONS = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}
ARITHMETIC = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.FloorDiv, ast.FloorDiv: ast.Mult}


@dataclass
class Mutant:
    path: Path  # relative to the project
    line: int
    what: str  # the change, e.g. "== → !="
    start: tuple[int, int]  # (line, column) of the source span replaced
    end: tuple[int, int]
    replacement: str

    def apply(self, source: str) -> str:
        lines = source.splitlines(keepends=True)
        offsets = [0]
        for line in lines:
            offsets.append(offsets[-1] + len(line.encode()))
        data = source.encode()
        start = offsets[self.start[0] - 1] + self.start[1]
        end = offsets[self.end[0] - 1] + self.end[1]
        return (data[:start] + self.replacement.encode() + data[end:]).decode()


def _docstrings(tree):
    """The docstring expressions: deleting one changes nothing."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(body[0])
    return found


def _in_fstring(tree):
    inside = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            inside.update(id(child) for child in ast.walk(node))
    return inside


def mutants_of(path: Path) -> list[Mutant]:
    source = (ROOT / path).read_text(encoding="utf-8")
    tree = ast.parse(source)
    docstrings, in_fstring = _docstrings(tree), _in_fstring(tree)
    found = []

    def span(node, replacement, what):
        found.append(
            Mutant(
                path=path,
                line=node.lineno,
                what=what,
                start=(node.lineno, node.col_offset),
                end=(node.end_lineno, node.end_col_offset),
                replacement=replacement,
            )
        )

    def expression(node, changed, what):
        # In parentheses, so the new expression binds as the old one did wherever it stands.
        span(node, f"({ast.unparse(changed)})", what)

    for node in ast.walk(tree):
        if id(node) in in_fstring:
            continue
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                if type(op) in COMPARISONS:
                    changed = ast.Compare(node.left, list(node.ops), node.comparators)
                    changed.ops[i] = COMPARISONS[type(op)]()
                    expression(node, changed, f"{_op(op)} → {_op(changed.ops[i])}")
        elif isinstance(node, ast.BoolOp):
            other = ast.Or() if isinstance(node.op, ast.And) else ast.And()
            expression(node, ast.BoolOp(other, node.values), f"{_op(node.op)} → {_op(other)}")
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            expression(node, node.operand, "not x → x")
        elif isinstance(node, ast.BinOp) and type(node.op) in ARITHMETIC:
            changed = ast.BinOp(node.left, ARITHMETIC[type(node.op)](), node.right)
            expression(node, changed, f"{_op(node.op)} → {_op(changed.op)}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
            span(node, str(not node.value), f"{node.value} → {not node.value}")
        elif isinstance(node, ast.Constant) and type(node.value) is int:
            new = 1 if node.value == 0 else node.value - 1
            span(node, str(new), f"{node.value} → {new}")
        if isinstance(node, ast.stmt) and node not in docstrings and _deletable(node):
            what = "raise deleted" if isinstance(node, ast.Raise) else f"{type(node).__name__} deleted"
            span(node, "pass", what)
    return [mutant for mutant in found if _compiles(mutant, source)]


def _deletable(node):
    # A definition deleted is an import error, not a question the tests answer; `pass` is nothing.
    return not isinstance(
        node,
        ast.FunctionDef
        | ast.AsyncFunctionDef
        | ast.ClassDef
        | ast.Import
        | ast.ImportFrom
        | ast.Pass
        | ast.Global
        | ast.Nonlocal,
    )


def _op(op):
    return {
        ast.Eq: "==",
        ast.NotEq: "!=",
        ast.Lt: "<",
        ast.LtE: "<=",
        ast.Gt: ">",
        ast.GtE: ">=",
        ast.Is: "is",
        ast.IsNot: "is not",
        ast.In: "in",
        ast.NotIn: "not in",
        ast.And: "and",
        ast.Or: "or",
        ast.Add: "+",
        ast.Sub: "-",
        ast.Mult: "*",
        ast.FloorDiv: "//",
    }[type(op)]


def _compiles(mutant, source):
    try:
        compile(mutant.apply(source), str(mutant.path), "exec")
    except SyntaxError:
        return False
    return True


def modules(names):
    for name in names:
        path = Path(name)
        if (ROOT / path).is_dir():
            yield from sorted(p.relative_to(ROOT) for p in (ROOT / path).glob("*.py"))
        else:
            yield path


def copy_project(into: Path):
    ignore = shutil.ignore_patterns(".venv", ".git", "__pycache__", "data", "staticfiles", "*.sqlite3")
    shutil.copytree(ROOT, into, ignore=ignore, dirs_exist_ok=True)


def run_tests(where: Path, tests, timeout, *, show_failure=False):
    """ "killed", "survived" or "timeout" (a mutant that loops or waits forever: killed too)."""
    # No bytecode: a mutant of the same length written within the same second as the file before
    # it would otherwise be run from the cache of that one.
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]
    try:
        result = subprocess.run(command, cwd=where, env=env, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout"
    if show_failure and result.returncode:
        print(result.stdout.decode(errors="replace")[-3000:], result.stderr.decode(errors="replace")[-2000:])
    return "survived" if result.returncode == 0 else "killed"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="+", help="a module's path, or a folder of modules")
    parser.add_argument("--tests", nargs="+", required=True, help="the test files to run on each mutant")
    parser.add_argument("-n", type=int, default=40, help="how many mutants (default 40)")
    parser.add_argument("--seed", type=int, default=22, help="the random seed (default 22)")
    parser.add_argument("--timeout", type=int, default=300, help="seconds per mutant's tests (default 300)")
    parser.add_argument(
        "--tests-for",
        nargs="+",
        default=[],
        metavar="FILE=TESTS",
        help="more tests for the mutants of one file: FILE=tests/a.py,tests/b.py (a package's modules "
        "are tested in different files)",
    )
    parser.add_argument("--list", action="store_true", help="only list the chosen mutants")
    parser.add_argument(
        "--only",
        nargs="+",
        default=[],
        metavar="FILE:LINE",
        help="of the chosen mutants, try only those on these lines (the survivors of a run, again)",
    )
    args = parser.parse_args()

    every = [mutant for path in modules(args.modules) for mutant in mutants_of(path)]
    chosen = random.Random(args.seed).sample(every, min(args.n, len(every)))
    chosen.sort(key=lambda m: (str(m.path), m.line))
    if args.only:
        chosen = [mutant for mutant in chosen if f"{mutant.path}:{mutant.line}" in args.only]
    where_from, tests = ", ".join(args.modules), " ".join(args.tests)
    print(f"{len(chosen)} mutants of {len(every)} in {where_from}; tests: {tests}")
    if args.list:
        for mutant in chosen:
            print(f"  {mutant.path}:{mutant.line}  {mutant.what}")
        return 0

    more = {}
    for entry in args.tests_for:
        path, _, tests = entry.partition("=")
        more[Path(path)] = [test for test in tests.split(",") if test]

    def tests_of(mutant):
        return list(dict.fromkeys([*args.tests, *more.get(mutant.path, [])]))

    with tempfile.TemporaryDirectory(prefix="mutate-") as folder:
        where = Path(folder)
        copy_project(where)
        started = time.monotonic()
        every_test = list(dict.fromkeys([*args.tests, *(test for tests in more.values() for test in tests)]))
        if run_tests(where, every_test, args.timeout * 2, show_failure=True) != "survived":
            print("The tests fail without any mutant: fix them first.", file=sys.stderr)
            return 2
        survivors, outcomes = [], []
        for number, mutant in enumerate(chosen, start=1):
            target = where / mutant.path
            original = target.read_text(encoding="utf-8")
            target.write_text(mutant.apply(original), encoding="utf-8")
            try:
                outcome = run_tests(where, tests_of(mutant), args.timeout)
            finally:
                target.write_text(original, encoding="utf-8")
            outcomes.append(outcome)
            line = original.splitlines()[mutant.line - 1].strip()
            print(f"{number:3} {outcome:8} {mutant.path}:{mutant.line}  {mutant.what}  | {line}", flush=True)
            if outcome == "survived":
                survivors.append((mutant, line))
        killed = len(chosen) - len(survivors)
        share = 100 * killed / len(chosen) if chosen else 100
        minutes = (time.monotonic() - started) / 60
        print(f"\n{killed} of {len(chosen)} killed ({share:.0f}%), {minutes:.1f} min")
        for mutant, line in survivors:
            print(f"  survived: {mutant.path}:{mutant.line}  {mutant.what}  | {line}")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
