"""Wall time of the CPU experiment grid on AG News (experiments/ag-news-cpu.yaml), per run and in all.

Goal (issue 11): the 3-seed grid under 30 minutes on 2 cores. torch gets exactly 2 intra-op threads
(`torch_threads: 2` in the experiment file): one per core; torch's default (one per visible core,
more on a big box) oversubscribes a shared 2-core machine, and a fixed count makes runs comparable.
`SEEDS` below runs a reduced grid (fewer seeds) when the full one does not fit; the total is then
extrapolated per seed, and the printout says so. BENCH_SEEDS=0,1,2 runs the full grid; BENCH_OUT=DIR keeps it.

    python -m bench experiment            (needs ../shared/data/ag_news/test.csv; minutes)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
AG_NEWS = ROOT.parent / "shared" / "data" / "ag_news" / "test.csv"
CONFIG = ROOT / "experiments" / "ag-news-cpu.yaml"
SEEDS = [int(s) for s in os.environ.get("BENCH_SEEDS", "0").split(",")]
FULL_SEEDS = 3
GOAL_MINUTES = 30


def _newsalign(*args: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "newsalign", *args], cwd=ROOT, check=True)
    return time.perf_counter() - started


def main() -> None:
    keep = os.environ.get("BENCH_OUT")  # a folder to keep the runs and report in
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(keep or tmp)
        work.mkdir(parents=True, exist_ok=True)
        db, out = work / "ag-lake", work / "out"
        config = yaml.safe_load(CONFIG.read_text())
        config["seeds"] = SEEDS
        reduced = work / "ag-news-cpu.yaml"
        reduced.write_text(yaml.safe_dump(config))
        imported = _newsalign("import", str(AG_NEWS), "--source", "ag_news", "--min-words", "20", "--db", str(db))
        grid = _newsalign("experiment", "--config", str(reduced), "--db", str(db), "--out", str(out))
        runs = {
            p.parent.name: json.loads(p.read_text())["seconds"]
            for p in sorted(out.glob(f"runs/*/seed{SEEDS[0]}/*/run.json"))
        }
        summary = json.loads((out / "summary.json").read_text())
    print(f"import: {imported:.0f} s; grid with seeds {SEEDS} (torch threads {config['torch_threads']}): {grid:.0f} s")
    print("training per run, seed", SEEDS[0], ":", ", ".join(f"{k} {v:.0f} s" for k, v in runs.items()))
    estimate = grid / len(SEEDS) * FULL_SEEDS
    kind = "measured" if len(SEEDS) == FULL_SEEDS else f"extrapolated from {len(SEEDS)} seed(s)"
    print(f"3-seed grid: {estimate / 60:.1f} min ({kind}); goal < {GOAL_MINUTES} min")
    for split, data in summary["splits"].items():
        for name, entry in data["models"].items():
            mean, low, high = entry["mean_ci"]["roc_auc"]
            print(
                f"  {split} {name:16s} accuracy {entry['mean_ci']['accuracy'][0]:.3f} ROC-AUC {mean:.3f} [{low:.2f}, {high:.2f}]"
            )


if __name__ == "__main__":
    main()
