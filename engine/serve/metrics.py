"""The server's counters and histograms, in Prometheus' text format (``GET /metrics``), through
``prometheus_client`` (a registry per app, so that two apps in one process do not share them)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from ..batch import Encoded

_LATENCY = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """What the drain counts: requests by route and status, frames, events and rejects, the
    sender's message counts that disagree with the frames, duplicates, refusals, latencies."""

    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self.requests = Counter(
            "normalize_requests", "Requests by route and status", ["route", "status"], registry=r
        )
        self.latency = Histogram(
            "normalize_request_seconds", "Time to answer a request", ["route"], buckets=_LATENCY, registry=r
        )
        self.records = Counter("normalize_records", "Frames or lines received", ["route"], registry=r)
        self.events = Counter("normalize_events", "Events written", ["route", "log_type"], registry=r)
        self.rejects = Counter("normalize_rejects", "Rejects written", ["route", "reason"], registry=r)
        self.bytes_in = Counter("normalize_body_bytes", "Request body bytes, as sent", ["route"], registry=r)
        self.count_mismatches = Counter(
            "normalize_msg_count_mismatches",
            "Bodies whose Logplex-Msg-Count disagrees with the frames they hold",
            ["route"],
            registry=r,
        )
        self.duplicates = Counter(
            "normalize_duplicates",
            "Bodies acknowledged again for a Frame-Id already written",
            ["route"],
            registry=r,
        )
        self.refused = Counter(
            "normalize_unauthorized",
            "Requests refused for their credentials, by why",
            ["route", "why"],
            registry=r,
        )
        self.busy = Counter(
            "normalize_overloaded", "Requests answered 503 past the cap", ["route"], registry=r
        )
        self.watched = Counter(
            "normalize_watched",
            "Matches of a route's watch patterns in its bodies",
            ["route", "name"],
            registry=r,
        )
        self.flush_seconds = Histogram(
            "normalize_flush_seconds",
            "Time to write and fsync one group commit",
            buckets=_LATENCY,
            registry=r,
        )
        self.flush_commits = Counter(
            "normalize_flushed_commits", "Commits written by group commits", registry=r
        )
        self.failed = Counter(
            "normalize_commit_failures", "Bodies that could not be stored", ["route"], registry=r
        )

    def request(self, route: str, status: int, seconds: float) -> None:
        self.requests.labels(route, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def batch(self, route: str, encoded: Encoded, body_bytes: int, declared: str | None) -> None:
        self.records.labels(route).inc(encoded.lines)
        self.bytes_in.labels(route).inc(body_bytes)
        for log_type, count in encoded.log_types.items():
            self.events.labels(route, log_type).inc(count)
        for reason, count in encoded.reasons.items():
            self.rejects.labels(route, reason).inc(count)
        if declared is not None and declared != str(encoded.lines):
            self.count_mismatches.labels(route).inc()

    def watch(self, route: str, counts: dict[str, int]) -> None:
        for name, count in counts.items():
            self.watched.labels(route, name).inc(count)

    def flushed(self, seconds: float, commits: int) -> None:
        """Called by the lake's flusher after each flush."""
        self.flush_seconds.observe(seconds)
        self.flush_commits.inc(commits)

    def duplicate(self, route: str) -> None:
        self.duplicates.labels(route).inc()

    def unauthorized(self, route: str, why: str) -> None:
        self.refused.labels(route, why).inc()

    def overloaded(self, route: str) -> None:
        self.busy.labels(route).inc()

    def commit_failed(self, route: str) -> None:
        self.failed.labels(route).inc()

    def exposition(self) -> tuple[str, str]:
        """The metrics as Prometheus text, and its content type."""
        return generate_latest(self.registry).decode(), CONTENT_TYPE_LATEST
