"""Run benchmarks: `python -m bench` runs all, `python -m bench parse ingest` runs those named.

Each benchmark is a module `bench/bench_<name>.py` with a `main()` that measures our code and its
baseline in the same run and prints the ratio.
"""

import importlib
import pkgutil
import sys

import bench


def available() -> list[str]:
    return sorted(
        m.name.removeprefix("bench_") for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_")
    )


def main(argv: list[str]) -> int:
    names = argv or available()
    unknown = sorted(set(names) - set(available()))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available())}", file=sys.stderr)
        return 2
    for name in names:
        print(f"\n=== bench {name} ===", flush=True)
        importlib.import_module(f"bench.bench_{name}").main()
    return 0


sys.exit(main(sys.argv[1:]))
