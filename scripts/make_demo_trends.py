"""Write the demo's synthetic Google Trends exports: newsalign/demo/sample/trends/*.csv.

One monthly series per distinct topic among the first 5 topics (label_params' `topics_per_article`
default) of the demo's recorded LLM answers (newsalign/demo/sample/llm_responses.jsonl), in Google's
"multiTimeline.csv" export format, which `newsalign enrich trends --backend csv` reads. Every value is
INVENTED: a shape chosen per topic below (rising for emerging technologies, launch for young companies
and products, seasonal or flat for broad subjects, spikes for news cycles, zero for phrases nobody
searches), plus seeded noise, scaled like Trends to a peak of 100. Deterministic: rerunning it
rewrites identical files.

    python scripts/make_demo_trends.py            # after editing llm_responses.jsonl or SHAPES
"""

from __future__ import annotations

import json
import math
import random
import re
import sys
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[1] / "newsalign" / "demo" / "sample"
ANSWERS = SAMPLE / "llm_responses.jsonl"
OUT = SAMPLE / "trends"
TOPICS_PER_ARTICLE = 5
FIRST, LAST = (2016, 1), (2026, 10)  # covers the 120 months before every demo article's month (Oct/Nov 2026)
SEED = 20261124
NOISE = 0.06  # relative month-to-month noise


def months() -> list[tuple[int, int]]:
    first, last = FIRST[0] * 12 + FIRST[1] - 1, LAST[0] * 12 + LAST[1] - 1
    return [(i // 12, i % 12 + 1) for i in range(first, last + 1)]


def _t(year_month: str) -> int:
    """Months from FIRST to 'YYYY-MM'."""
    year, month = map(int, year_month.split("-"))
    return (year - FIRST[0]) * 12 + month - FIRST[1]


# Shapes: functions of t (months since FIRST) and the calendar month, returning interest >= 0 before scaling.
def zero():
    return lambda t, month: 0.0


def flat():
    return lambda t, month: 1.0


def seasonal(peak: int, amplitude: float):
    """Interest highest every year in calendar month `peak`."""
    return lambda t, month: 1 + amplitude * math.cos(2 * math.pi * (month - peak) / 12)


def rising(growth: float, peak: int | None = None, amplitude: float = 0.0):
    """Exponential growth of `growth` a year (optionally seasonal)."""
    season = seasonal(peak, amplitude) if peak else flat()
    return lambda t, month: (1 + growth) ** (t / 12) * season(t, month)


def falling(decline: float):
    return lambda t, month: (1 - decline) ** (t / 12)


def launch(start: str, growth: float, plateau: str | None = None):
    """Nothing before `start` (a company or product that did not exist), then growth from a low base,
    level from `plateau` on if given (a launch that has become ordinary)."""

    def shape(t, month):
        if t < _t(start):
            return 0.0
        grown = (min(t, _t(plateau)) if plateau else t) - _t(start)
        return 0.15 * (1 + growth) ** (grown / 12)

    return shape


def spike(peak: str, floor: float, rise: float = 6, decay: float = 10, start: str | None = None):
    """A news cycle: interest climbs over `rise` months to `peak`, decays over `decay` months to `floor`
    (relative to the peak), with `floor` before it too; nothing before `start` if given."""

    def shape(t, month):
        if start and t < _t(start):
            return 0.0
        distance = t - _t(peak)
        width = rise if distance < 0 else decay
        return floor + (1 - floor) * math.exp(-((distance / width) ** 2))

    return shape


SHAPES = {
    # bbc: Saltcell (sodium batteries)
    "saltcell": launch("2022-04", 0.6),
    "sodium-ion batteries": rising(0.35),
    "grid-scale energy storage": rising(0.2),
    "battery manufacturing": rising(0.15),
    "energy storage": rising(0.1),
    # bbc: Qubitron (quantum computing)
    "qubitron": launch("2018-09", 0.35),
    "trapped-ion quantum computing": rising(0.25),
    "quantum computing": rising(0.12),
    "drug discovery": flat(),
    "quantum technology": rising(0.1),
    # bbc: UK venture funding
    "uk venture capital funding": spike("2021-06", 0.35, rise=8, decay=14),
    "seed funding": flat(),
    "venture capital": spike("2021-11", 0.6, rise=10, decay=12),
    "start-up funding": flat(),
    "artificial intelligence": rising(0.3),
    # bbc: storm
    "wales flooding": seasonal(1, 0.9),
    "met office amber warning": seasonal(12, 0.9),
    "storm": seasonal(1, 0.5),
    "flooding": seasonal(1, 0.5),
    "power cuts": seasonal(12, 0.5),
    # bbc: interest rates
    "bank of england rate decision": flat(),
    "interest rates": spike("2022-10", 0.5, rise=9, decay=15),
    "inflation": spike("2022-06", 0.35, rise=8, decay=14),
    "mortgage rates": spike("2022-10", 0.45, rise=6, decay=12),
    "monetary policy": flat(),
    # guardian: Kelpform (seaweed packaging)
    "kelpform": launch("2021-09", 0.5),
    "seaweed packaging": rising(0.3),
    "compostable packaging": rising(0.15),
    "plastic alternatives": rising(0.12),
    "seaweed farming": rising(0.15),
    # guardian: heat pumps
    "heat pump installations": rising(0.15, peak=1, amplitude=0.3),
    "heat pump grants": launch("2022-05", 0.3, plateau="2024-01"),
    "heat pumps": rising(0.15, peak=12, amplitude=0.4),
    "home heating": seasonal(12, 0.6),
    "energy efficiency": flat(),
    # guardian: train fares
    "rail fare increase": seasonal(1, 0.9),
    "season tickets": falling(0.1),
    "train fares": seasonal(1, 0.3),
    "rail transport": flat(),
    # reuters: container freight
    "container freight rates": spike("2021-09", 0.25, rise=8, decay=10),
    "container shipping overcapacity": spike("2023-03", 0.1, rise=5, decay=8),
    "shipping rates": spike("2021-09", 0.3, rise=8, decay=10),
    "container shipping": spike("2021-03", 0.5, rise=8, decay=10),
    "blank sailings": spike("2020-05", 0.3, rise=2, decay=6),
    # reuters: Heliomax (fusion)
    "heliomax": launch("2019-05", 0.5),
    "fusion demonstration plant": launch("2021-01", 0.3),
    "magnetic confinement fusion": flat(),
    "fusion energy": rising(0.15),
    "fusion startups": rising(0.35),
    # reuters: oil
    "brent crude price": spike("2022-03", 0.5, rise=3, decay=6),
    "us crude inventories": flat(),
    "oil prices": spike("2022-03", 0.5, rise=3, decay=6),
    "crude oil": flat(),
    "opec+": spike("2020-04", 0.4, rise=2, decay=6),
    # reuters (and the guardian's copy): Veltrix packaging plant
    "veltrix": flat(),
    "arizona chip packaging plant": spike("2024-05", 0.1, rise=2, decay=4, start="2023-06"),
    "advanced chip packaging": rising(0.3),
    "chips act": spike("2022-08", 0.3, rise=4, decay=10, start="2021-06"),
    "semiconductor manufacturing": rising(0.12),
    # techcrunch: Chirpcast layoffs
    "chirpcast": spike("2021-02", 0.1, rise=4, decay=12, start="2020-04"),
    "chirpcast layoffs": zero(),
    "social audio apps": spike("2021-03", 0.1, rise=4, decay=10, start="2020-06"),
    "tech layoffs": spike("2023-01", 0.3, rise=4, decay=8),
    "creator subscriptions": launch("2021-03", 0.2, plateau="2023-06"),
    # techcrunch: Shelfbot (warehouse robots)
    "shelfbot": launch("2019-01", 0.4),
    "warehouse picking robots": rising(0.2),
    "robots as a service": rising(0.15),
    "warehouse automation": rising(0.15),
    "robotics": flat(),
    # techcrunch: Ferrous (scrap steel)
    "ferrous": seasonal(3, 0.2),  # the chemistry word: school terms, not the startup
    "scrap steel sorting": rising(0.2),
    "electric arc furnaces": rising(0.1),
    "computer vision": rising(0.12),
    "green steel": rising(0.3),
    # techcrunch: Lintwise (AI code review)
    "lintwise": launch("2025-05", 1.5),
    "ai code review": launch("2023-03", 1.0),
    "pull requests": flat(),
    "ai coding assistants": launch("2022-07", 1.0),
    "developer tools": flat(),
    # techcrunch: Quackbase (open source database)
    "quackbase": launch("2018-06", 0.6),
    "quackbase cloud": zero(),
    "managed database services": rising(0.1),
    "open source databases": flat(),
    "analytics databases": flat(),
    # techradar: laptop chips
    "next-generation laptop processors": seasonal(1, 0.3),
    "laptop battery life": falling(0.03),
    "integrated graphics": falling(0.05),
    "ray tracing": spike("2018-09", 0.4, rise=2, decay=8),
    "cpu benchmarks": flat(),
    # techradar: Windows printers
    "windows update printer bug": spike("2021-03", 0.1, rise=1, decay=4),
    "windows cumulative update": flat(),
    "printer drivers": falling(0.08),
    "microsoft windows": flat(),
    "patch tuesday": flat(),
    # techradar: Wi-Fi 7
    "wi-fi 7 routers": launch("2023-01", 0.5, plateau="2025-01"),
    "wi-fi 7": launch("2022-01", 0.4, plateau="2024-06"),
    "multi-link operation": launch("2021-06", 0.3, plateau="2024-01"),
    "mesh wi-fi": spike("2020-04", 0.6, rise=12, decay=12),
    "home networking": falling(0.06),
    # techradar: solid-state phone battery
    "voltaic solid": launch("2024-02", 0.8),
    "solid-state phone battery": launch("2023-06", 0.5),
    "solid-state batteries": rising(0.18),
    "ceramic electrolyte": rising(0.05),
    "fast charging": rising(0.1),
    # wccftech: Hollow Crown delay
    "hollow crown": spike("2016-05", 0.1, rise=1, decay=3),  # a TV series of that name, not the game
    "ember gate": zero(),
    "hollow crown delay": zero(),
    "open-world rpgs": seasonal(11, 0.2),
    "game delays": flat(),
    # wccftech: Kaiyuan 2nm
    "kaiyuan semiconductor": launch("2018-01", 0.3),
    "kaiyuan 2nm process": launch("2025-09", 0.8),
    "2nm chips": launch("2020-06", 0.4),
    "gate-all-around transistors": launch("2019-03", 0.3),
    # wccftech: Lumenlink (photonics)
    "lumenlink": launch("2023-04", 0.8),
    "photonic chiplets": launch("2021-01", 0.5),
    "co-packaged optics": launch("2019-06", 0.45),
    "silicon photonics": rising(0.15),
    "ai data centers": launch("2022-12", 0.8),
    # wccftech: Norrin GPU
    "norrin next-gen graphics card": zero(),
    "norrin": flat(),
    "gddr7 memory": launch("2022-06", 0.5, plateau="2025-03"),
    "graphics cards": spike("2021-05", 0.6, rise=6, decay=8),
}


def demo_topics() -> list[str]:
    """The distinct first TOPICS_PER_ARTICLE topics of the recorded answers, normalised as the views do."""
    topics = set()
    for line in ANSWERS.read_text(encoding="utf-8").splitlines():
        if line.strip():
            topics.update(t.strip().lower() for t in json.loads(line)["output"]["topics"][:TOPICS_PER_ARTICLE])
    return sorted(topics)


def series(topic: str) -> list[str]:
    """The export's values: noisy shape, scaled to a peak of 100; '<1' for interest that rounds to 0."""
    rng = random.Random(f"{SEED}:{topic}")
    shape = SHAPES[topic]
    raw = [max(0.0, shape(t, month) * rng.gauss(1, NOISE)) for t, (_, month) in enumerate(months())]
    peak = max(raw)
    values = [100 * v / peak if peak else 0.0 for v in raw]
    return ["<1" if 0 < v < 0.5 else str(round(v)) for v in values]


def slug(topic: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", topic).strip("-")


def write(topic: str, out: Path) -> Path:
    path = out / f"{slug(topic)}.csv"
    lines = ["Category: All categories", "", f"Month,{topic}: (Worldwide)"]
    lines += [f"{year}-{month:02d},{value}" for (year, month), value in zip(months(), series(topic))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main(out: Path = OUT) -> int:
    topics = demo_topics()
    missing = [t for t in topics if t not in SHAPES]
    if missing:
        print(f"no shape for {len(missing)} demo topics: {', '.join(missing)}; add them to SHAPES", file=sys.stderr)
        return 1
    if len({slug(t) for t in topics}) != len(topics):
        print("two topics share a file name; rename one in SHAPES", file=sys.stderr)
        return 1
    out.mkdir(exist_ok=True)
    for stale in out.glob("*.csv"):
        stale.unlink()
    for topic in topics:
        write(topic, out)
    unused = sorted(set(SHAPES) - set(topics))
    print(
        f"wrote {len(topics)} series to {out}" + (f"; shapes no demo topic uses: {', '.join(unused)}" if unused else "")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
