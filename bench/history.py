"""What replaying a repository's history costs (issue 23), in one process, by the wall clock.

For a generated history (make_synthetic_history: the group's season is 12 files and about 120
commits), three imports into the database DATABASE_URL names, which is emptied first (`flush`):
- the newest files alone: the season folder copied out of git, imported as a plain folder;
- the whole history, into an empty database again;
- the whole history a second time: nothing changed, so nothing is written.
The issue's targets: the history within 15× the newest files, the second run within 2×.

`make bench` runs it (bench/run.py) on the season's shape and on ten times it, against its own
PostgreSQL database; by hand, on SQLite:
    DATABASE_URL=sqlite:////tmp/history.sqlite3 .venv/bin/python manage.py migrate
    DATABASE_URL=sqlite:////tmp/history.sqlite3 .venv/bin/python bench/history.py --files 12 --commits 120
`--profile FILE` writes the history's first import's profile (cProfile) there.
"""

import argparse
import cProfile
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HISTORY_TARGET = 15.0  # the first import of the history, × the newest files'
AGAIN_TARGET = 2.0  # a run that changes nothing, × the newest files'


def measure(files: int, commits: int, seed: int = 1, profile: str = "") -> dict:
    from django.core.management import call_command

    from discussions.management.commands.make_synthetic_history import make
    from discussions.models import Answer, Paper, Question
    from discussions.repository import import_repository

    def timed(path, profiler=None):
        started = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        import_repository(path)
        if profiler is not None:
            profiler.disable()
        return round(time.perf_counter() - started, 3)

    with tempfile.TemporaryDirectory(prefix="history-") as tmp:
        season = make(Path(tmp) / "repo", files=files, commits=commits, seed=seed)
        plain = Path(tmp) / "plain" / season.name
        shutil.copytree(season, plain)

        # Once first, untimed: what a process pays once (topic rules, the Markdown renderer) is
        # not the history's cost.
        call_command("flush", interactive=False, verbosity=0)
        timed(plain)
        call_command("flush", interactive=False, verbosity=0)
        newest = timed(plain)
        call_command("flush", interactive=False, verbosity=0)
        profiler = cProfile.Profile() if profile else None
        first = timed(season, profiler)
        if profiler is not None:
            profiler.dump_stats(profile)
        rows = {"papers": Paper.objects.count(), "questions": Question.objects.count()}
        rows["answers"] = Answer.objects.count()
        again = timed(season)
    return {
        "files": files,
        "commits": commits,
        "newest_seconds": newest,
        "history_seconds": first,
        "again_seconds": again,
        "history_ratio": round(first / newest, 1),
        "again_ratio": round(again / newest, 1),
        "rows": rows,
    }


def format_rows(results: list[dict]) -> list[str]:
    """The results as a Markdown table, with the issue's targets."""
    lines = [
        "| history | newest files alone s | whole history s | × newest (target ≤ 15×) "
        "| again, nothing changed s | × newest (target ≤ 2×) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in results:
        rows = row["rows"]
        lines.append(
            f"| {row['files']} files, {row['commits']} commits ({rows['questions']} questions, "
            f"{rows['answers']} answers) | {row['newest_seconds']:.2f} | {row['history_seconds']:.2f} | "
            f"{row['history_ratio']:.1f}×{'' if row['history_ratio'] <= HISTORY_TARGET else ' **no**'} | "
            f"{row['again_seconds']:.2f} | "
            f"{row['again_ratio']:.1f}×{'' if row['again_ratio'] <= AGAIN_TARGET else ' **no**'} |"
        )
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=12)
    parser.add_argument("--commits", type=int, default=120)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", default="", help="write the first import's cProfile stats here")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studygroup.settings")
    import django

    django.setup()
    result = measure(args.files, args.commits, args.seed, args.profile)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
