"""Run one benchmark interleaved on an older commit and on the working tree; medians of both.

    .venv/bin/python bench/compare.py --old 0be9520 --rounds 3 -- bench/mo_throughput.py
    .venv/bin/python bench/compare.py --old 0be9520 --rounds 3 -- bench/mt_throughput.py

The machines are noisy, so "before" and "after" are only comparable when they run in the
same minutes: each round runs the old code, then the new, with the same bench script (the
working tree's). The old code is a `git worktree` of `--old` put first on PYTHONPATH, so
the gateway and simulator processes the script starts import it instead of `src/`.

Each run prints a table; lines are matched by position across runs, and every token that
is a number in all of them becomes the median, so the output is the script's own table
of medians, once for the old code and once for the new, with the runs beside.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(script: list[str], pythonpath: str | None) -> list[str]:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = pythonpath
    else:
        env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [sys.executable, *script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        sys.exit(f"{' '.join(script)} failed ({pythonpath or 'working tree'}):\n{done.stderr}")
    return done.stdout.splitlines()


def number(token: str) -> float | None:
    try:
        return float(token.replace(",", ""))
    except ValueError:
        return None


def medians(runs: list[list[str]]) -> list[str]:
    """The runs' table with every all-numeric cell replaced by its median (runs beside)."""
    lines = []
    for row in zip(*runs, strict=False):
        columns = [line.split() for line in row]
        if len({len(c) for c in columns}) != 1:
            lines.append(row[0])
            continue
        cells = []
        for tokens in zip(*columns, strict=True):
            values = [number(t) for t in tokens]
            if all(v is not None for v in values) and len(set(tokens)) > 1:
                middle = statistics.median(v for v in values if v is not None)
                cells.append(f"{middle:,.1f}({'/'.join(tokens)})")
            else:
                cells.append(tokens[0])
        lines.append("  ".join(cells))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--old", required=True, help="the commit to compare with")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("script", nargs=argparse.REMAINDER, help="-- bench/x.py [args]")
    args = parser.parse_args()
    script = [a for a in args.script if a != "--"]
    with tempfile.TemporaryDirectory(prefix="kodeord-old-") as tmp:
        worktree = Path(tmp) / "old"
        subprocess.run(
            ["git", "worktree", "add", "--detach", "-q", str(worktree), args.old],
            cwd=ROOT,
            check=True,
        )
        try:
            old, new = [], []
            for n in range(args.rounds):
                old.append(run(script, str(worktree / "src")))
                new.append(run(script, None))
                print(f"round {n + 1}/{args.rounds} done", file=sys.stderr, flush=True)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT)
    print(f"old ({args.old}), medians of {args.rounds}:")
    print("\n".join(medians(old)))
    print("new (working tree):")
    print("\n".join(medians(new)))


if __name__ == "__main__":
    main()
