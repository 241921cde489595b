"""Trends backends: pytrends' real code path against a loopback stand-in of trends.google.com,
its DataFrame → series conversion, and the CSV-export backend."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest

from newsalign.core.errors import NewsalignError
from newsalign.enrich.trends.backends import (
    CsvBackend,
    PytrendsBackend,
    RateLimited,
    TopicFailed,
    Transient,
    read_export,
)
from newsalign.enrich.trends.series import MonthlySeries, SeriesError, add_months, from_frame, window
from tests.loopback import serving


def timeline(columns, partial_last=True, first=date(2014, 3, 1)):
    """Google's multiline answer for the compared terms' `columns` of values: one point a month,
    a value per term, `isPartial` only on an unfinished last month."""
    points = []
    for i, values in enumerate(zip(*columns)):
        month = add_months(first, i)
        point = {
            "time": str(int(datetime(month.year, month.month, 1, tzinfo=timezone.utc).timestamp())),
            "formattedTime": month.strftime("%b %Y"),
            "formattedAxisTime": month.strftime("%b %Y"),
            "value": list(values),
            "hasData": [value > 0 for value in values],
            "formattedValue": [str(value) for value in values],
        }
        if partial_last and i == len(columns[0]) - 1:
            point["isPartial"] = True
        points.append(point)
    return {"default": {"timelineData": points, "averages": []}}


class FakeTrends:
    """trends.google.com's three endpoints pytrends uses, on loopback. `answers` maps a keyword to
    a list of values, None (no data), or an HTTP status to answer with; compared keywords answer
    their values side by side (no data for one: none for all, as Google answers)."""

    def __init__(self, answers):
        self.answers = answers
        self.explore_requests: list[dict] = []

    def __enter__(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def send(self, status, text, content_type="application/json; charset=utf-8"):
                body = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                if self.path.startswith("/trends/explore"):
                    self.send_header("Set-Cookie", "NID=fake-cookie; Path=/")
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                url = urlparse(self.path)
                if url.path.startswith("/trends/explore"):
                    return self.send(200, "<html></html>", "text/html")
                if url.path == "/trends/api/widgetdata/multiline":
                    request = json.loads(parse_qs(url.query)["req"][0])
                    keywords = [
                        item["complexKeywordsRestriction"]["keyword"][0]["value"] for item in request["comparisonItem"]
                    ]
                    columns = [fake.answers[k] for k in keywords]
                    if any(c is None for c in columns):
                        data = {"default": {"timelineData": [], "averages": []}}
                    else:
                        data = timeline(columns)
                    return self.send(200, ")]}',\n" + json.dumps(data))
                self.send(404, "not found", "text/html")

            def do_POST(self):
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                request = json.loads(query["req"])
                fake.explore_requests.append(request)
                keywords = [item["keyword"] for item in request["comparisonItem"]]
                status = next((fake.answers[k] for k in keywords if isinstance(fake.answers[k], int)), None)
                if status is not None:
                    return self.send(status, "<html>error</html>", "text/html")
                widget = {
                    "id": "TIMESERIES",
                    "token": "tok",
                    "request": {
                        "time": request["comparisonItem"][0]["time"],
                        "comparisonItem": [
                            {
                                "geo": {},
                                "complexKeywordsRestriction": {"keyword": [{"type": "BROAD", "value": keyword}]},
                            }
                            for keyword in keywords
                        ],
                    },
                }
                self.send(200, ")]}'" + json.dumps({"widgets": [widget]}))

        self._serving = serving(Handler)
        self.base = self._serving.__enter__() + "/trends"
        return self

    def __exit__(self, *exc):
        self._serving.__exit__(None, None, None)


@pytest.fixture
def fake_trends(monkeypatch):
    """Point pytrends' hard-coded trends.google.com URLs at a loopback stand-in."""
    import pytrends.request as request

    def start(answers):
        fake = FakeTrends(answers).__enter__()
        monkeypatch.setattr(request, "BASE_TRENDS_URL", fake.base)
        monkeypatch.setattr(request.TrendReq, "GENERAL_URL", f"{fake.base}/api/explore")
        monkeypatch.setattr(request.TrendReq, "INTEREST_OVER_TIME_URL", f"{fake.base}/api/widgetdata/multiline")
        servers.append(fake)
        return fake

    servers: list[FakeTrends] = []
    yield start
    for fake in servers:
        fake.__exit__()


@pytest.mark.slow
def test_pytrends_backend_reads_a_monthly_series_with_a_partial_last_month(fake_trends):
    values = [12, 0, 100] + [37] * 117
    fake = fake_trends({"solid-state batteries": values})
    start, end = window("fetch", date(2024, 3, 1), date(2024, 3, 15))
    series = PytrendsBackend(delay=0).fetch(["solid-state batteries"], start, end, "US")["solid-state batteries"]
    assert series.values == tuple(values)
    assert series.months[0] == date(2014, 3, 1) and len(series.months) == 120
    assert series.partial[-1] is True and not any(series.partial[:-1])
    sent = fake.explore_requests[0]["comparisonItem"][0]
    assert sent == {"keyword": "solid-state batteries", "time": "2014-03-01 2024-03-15", "geo": "US"}


@pytest.mark.slow
def test_pytrends_backend_topic_without_data_is_an_empty_series(fake_trends):
    fake_trends({"zzqx obscure": None})
    assert (
        PytrendsBackend(delay=0).fetch(["zzqx obscure"], date(2014, 3, 1), date(2024, 2, 29), "")["zzqx obscure"].empty
    )


@pytest.mark.slow
@pytest.mark.parametrize("status, error", [(429, RateLimited), (500, Transient), (400, TopicFailed)])
def test_pytrends_backend_maps_http_errors(fake_trends, status, error):
    fake_trends({"ai": status})
    with pytest.raises(error):
        PytrendsBackend(delay=0).fetch(["ai"], date(2014, 3, 1), date(2024, 2, 29), "")


def test_pytrends_backend_network_failure_is_transient(monkeypatch):
    import pytrends.request as request

    monkeypatch.setattr(request, "BASE_TRENDS_URL", "http://127.0.0.1:9/trends")  # nothing listens on port 9
    with pytest.raises(Transient, match="ConnectionError"):
        PytrendsBackend(delay=0, timeout=(1, 1)).fetch(["ai"], date(2014, 3, 1), date(2024, 2, 29), "")


def test_from_frame_converts_pytrends_shape():
    index = pd.DatetimeIndex(pd.date_range("2014-03-01", periods=3, freq="MS"), name="date")
    frame = pd.DataFrame({"ai": [3, 100, 41], "isPartial": [False, False, True]}, index=index)
    assert from_frame(frame, "ai") == MonthlySeries(
        (date(2014, 3, 1), date(2014, 4, 1), date(2014, 5, 1)), (3, 100, 41), (False, False, True)
    )
    assert from_frame(pd.DataFrame(), "ai").empty
    weekly = pd.DataFrame({"ai": [1, 2]}, index=pd.DatetimeIndex(["2024-01-07", "2024-01-14"]))
    with pytest.raises(SeriesError, match="weekly or daily"):
        from_frame(weekly, "ai")
    with pytest.raises(SeriesError, match="0..100"):
        MonthlySeries((date(2024, 1, 1),), (101,), (False,))


def test_windows_published_ends_before_the_publication_month():
    assert window("published", date(2024, 3, 1), date(2025, 1, 9)) == (date(2014, 3, 1), date(2024, 2, 29))
    assert window("fetch", date(2025, 1, 1), date(2025, 1, 9)) == (date(2015, 1, 1), date(2025, 1, 9))


EXPORT = """Category: All categories

Month,{term}: ({place})
2014-01,<1
2014-02,7
2014-03,100
2014-04,55
"""


def write_export(folder, name, term, place="Worldwide", body=EXPORT):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(body.format(term=term, place=place), encoding="utf-8")


def test_csv_backend_reads_google_exports_and_cuts_the_window(tmp_path):
    write_export(tmp_path, "multiTimeline.csv", "Bitcoin")
    write_export(
        tmp_path / "US", "multiTimeline (1).csv", "bitcoin", place="United States", body=EXPORT.replace("100", "90")
    )
    backend = CsvBackend(tmp_path)
    worldwide = backend.fetch(["bitcoin"], date(2014, 2, 1), date(2014, 3, 31), "")["bitcoin"]
    assert worldwide.values == (7, 100) and worldwide.months == (date(2014, 2, 1), date(2014, 3, 1))
    assert backend.fetch(["bitcoin"], date(2013, 1, 1), date(2014, 12, 31), "")["bitcoin"].values == (
        0,
        7,
        100,
        55,
    )  # "<1" → 0
    assert backend.fetch(["bitcoin"], date(2014, 1, 1), date(2014, 3, 31), "US")["bitcoin"].values == (0, 7, 90)
    assert backend.fetch(["bitcoin"], date(2020, 1, 1), date(2020, 12, 31), "")["bitcoin"].empty
    with pytest.raises(TopicFailed, match="no CSV export for 'ether'.*download it"):
        backend.fetch(["ether"], date(2014, 1, 1), date(2014, 3, 31), "")["ether"]


@pytest.mark.slow
def test_pytrends_backend_compares_several_topics_in_one_request(fake_trends):
    fake = fake_trends({"ai": [100, 50, 20], "ml": [10, 5, 3], "gpu": [0, 1, 2]})
    answers = PytrendsBackend(delay=0).fetch(["ai", "ml", "gpu"], date(2014, 3, 1), date(2024, 2, 29), "")
    assert {t: s.values for t, s in answers.items()} == {"ai": (100, 50, 20), "ml": (10, 5, 3), "gpu": (0, 1, 2)}
    assert len(fake.explore_requests) == 1
    assert [item["keyword"] for item in fake.explore_requests[0]["comparisonItem"]] == ["ai", "ml", "gpu"]


def test_csv_backend_reads_multi_term_exports(tmp_path):
    header = "Category: All categories\n\nMonth,AI: (Worldwide),ml: (Worldwide)\n"
    (tmp_path / "compared.csv").write_text(header + "2014-01,100,<1\n2014-02,40,3\n")
    write_export(tmp_path, "alone.csv", "ml")
    backend = CsvBackend(tmp_path)
    together = backend.fetch(["ai", "ml"], date(2014, 1, 1), date(2014, 2, 28), "")
    assert together["ai"].values == (100, 40) and together["ml"].values == (0, 3)  # the export comparing both
    assert backend.fetch(["ml"], date(2014, 1, 1), date(2014, 2, 28), "")["ml"].values == (0, 7)  # its own export
    assert backend.fetch(["ai"], date(2014, 1, 1), date(2014, 2, 28), "")["ai"].values == (100, 40)
    (tmp_path / "short.csv").write_text(header + "2014-01,100\n")
    with pytest.raises(NewsalignError, match="cannot read the row '2014-01,100'"):
        read_export(tmp_path / "short.csv")


def test_csv_backend_rejects_weekly_exports(tmp_path):
    weekly = tmp_path / "weekly.csv"
    weekly.write_text("Category: All categories\n\nWeek,ai: (Worldwide)\n2024-01-07,5\n")
    with pytest.raises(NewsalignError, match="weekly points; export a range over five years"):
        read_export(weekly)
    with pytest.raises(NewsalignError, match="not a folder"):
        CsvBackend(tmp_path / "missing")


def test_csv_backend_bad_files_are_one_clear_line(tmp_path, db_path, capsys):
    from newsalign.cli import main
    from newsalign.warehouse import connect
    from tests.trends_support import add_articles, add_llm

    utf16 = tmp_path / "utf16.csv"
    utf16.write_text(EXPORT.format(term="ai", place="Worldwide"), encoding="utf-16")
    with pytest.raises(NewsalignError, match=r"utf16.csv: not UTF-8 text .*iconv"):
        read_export(utf16)
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("Month,caf\xe9: (Worldwide)\n2024-01,5\n".encode("latin-1"))
    with pytest.raises(NewsalignError, match="not UTF-8 text"):
        read_export(latin1)
    columns = tmp_path / "columns.csv"
    columns.write_text("date,value\n2024-01-01,5\n")
    with pytest.raises(NewsalignError, match=r"not a Google Trends export .*first line: 'date,value'"):
        read_export(columns)
    con = connect(db_path)
    add_articles(con, [{"id": "a1"}])
    add_llm(con, "a1", ["ai"], True)
    con.close()
    assert main(["enrich", "trends", "--db", str(db_path), "--backend", "csv", "--csv-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and err.count("\n") == 1 and "Traceback" not in err


SERP_KEY = "serp-CANARY-0123456789abcdef"


class FakeSerpApi:
    """A loopback stand-in for SerpApi's google_trends engine: answers per query, echoing the key in errors."""

    def __init__(self):
        self.answers: dict[str, tuple[int, object]] = {}
        self.queries: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
                fake.queries.append(query)
                status, body = fake.answers.get(query["q"], (200, fake.series(query)))
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.handler = Handler

    @staticmethod
    def series(query: dict) -> dict:
        start = date.fromisoformat(query["date"].split()[0])
        months = [add_months(start, i) for i in range(3)]
        terms = query["q"].split(",")  # compared queries: the n-th answers n times less
        timeline = [{"date": m.strftime("%b %Y"),
                     "timestamp": str(int(datetime(m.year, m.month, 1, tzinfo=timezone.utc).timestamp())),
                     "values": [{"query": q, "value": str(10 * (i + 1) // (n + 1)),
                                 "extracted_value": 10 * (i + 1) // (n + 1)} for n, q in enumerate(terms)],
                     **({"partial_data": True} if i == 2 else {})} for i, m in enumerate(months)]  # fmt: skip
        return {"search_metadata": {"status": "Success"}, "interest_over_time": {"timeline_data": timeline}}


@pytest.fixture
def serpapi():
    """A `FakeSerpApi` serving on loopback (its base URL in `.url`)."""
    fake = FakeSerpApi()
    with serving(fake.handler) as base:
        fake.url = base + "/search.json"
        yield fake


@pytest.mark.slow
def test_serpapi_backend_against_a_loopback_stand_in(monkeypatch, serpapi):
    from newsalign.enrich.trends.backends import RateLimited, SerpApiBackend, Transient

    monkeypatch.delenv("SERPAPI_API_KEY", raising=False)
    with pytest.raises(NewsalignError, match=r"needs a SerpApi key in \$SERPAPI_API_KEY"):
        SerpApiBackend()
    monkeypatch.setenv("SERPAPI_API_KEY", SERP_KEY)
    fake = serpapi
    backend = SerpApiBackend(base_url=fake.url)
    series = backend.fetch(["Bitcoin"], date(2014, 1, 1), date(2024, 1, 31), "US")["Bitcoin"]
    assert series.values == (10, 20, 30) and series.partial == (False, False, True)
    assert series.months == (date(2014, 1, 1), date(2014, 2, 1), date(2014, 3, 1))
    query = fake.queries[0]
    assert query["engine"] == "google_trends" and query["data_type"] == "TIMESERIES" and query["geo"] == "US"
    assert query["date"] == "2014-01-01 2024-01-31" and query["api_key"] == SERP_KEY
    compared = backend.fetch(["Bitcoin", "ether"], date(2014, 1, 1), date(2024, 1, 31), "")
    assert fake.queries[-1]["q"] == "Bitcoin,ether" and len(fake.queries) == 2
    assert compared["Bitcoin"].values == (10, 20, 30) and compared["ether"].values == (5, 10, 15)
    echo = f"Invalid API key {SERP_KEY} ({SERP_KEY[:6]}*****{SERP_KEY[-3:]})"
    fake.answers["none"] = (200, {"error": "Google Trends hasn't returned any results for this query."})
    fake.answers["busy"] = (429, {"error": f"rate limited: {echo}"})
    fake.answers["down"] = (503, {"error": echo})
    fake.answers["junk"] = (200, b"<html>not json")
    fake.answers["odd"] = (400, {"error": f"Unsupported geo. {echo}"})
    fake.answers["bad key"] = (401, {"error": echo})
    assert backend.fetch(["none"], date(2014, 1, 1), date(2024, 1, 31), "")["none"].empty
    messages = []
    for topic, error in (("busy", RateLimited), ("down", Transient), ("junk", TopicFailed), ("odd", TopicFailed),
                         ("bad key", NewsalignError)):  # fmt: skip
        with pytest.raises(error) as raised:
            backend.fetch([topic], date(2014, 1, 1), date(2024, 1, 31), "")
        messages.append(str(raised.value))
    assert "invalid JSON" in messages[2] and "Unsupported geo" in messages[3]
    assert messages[4] == "SerpApi rejected the key in $SERPAPI_API_KEY (401): check the variable"
    assert all(SERP_KEY not in m and f"*{SERP_KEY[-3:]}" not in m for m in messages), messages
    unreachable = SerpApiBackend(base_url="http://127.0.0.1:9/search.json")
    with pytest.raises(Transient) as raised:
        unreachable.fetch(["x"], date(2014, 1, 1), date(2024, 1, 31), "")
    assert SERP_KEY not in str(raised.value)
