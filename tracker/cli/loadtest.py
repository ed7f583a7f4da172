"""``flask --app tracker loadtest --url URL``: editors write through the API while viewers load
the dashboard of a running server, then check that nothing was lost or answered wrongly.

Only that command (and the tests) import this module; it adds no route to any app. It runs with
the server's own settings (``DATABASE_URL``, ``TOTP_KEYS``), since it prepares its accounts in
the server's database and reads the result back from it:

- editors (an API token each) log hours and change statuses through the JSON API, at ``rate``
  writes a second in all (one in five a status change, on a few shared actions, so that some
  meet another editor's change and are refused with 409), each with an ``Idempotency-Key``. A
  write that gets no answer, or a 503, is sent again with the same key until it gets one;
- viewers (signed in through the sign-in form and its two-step code, as people are) load the
  dashboard one request after another;
- before and after that, as many clients as viewers load ``/healthz``: the floor, a route that
  does next to nothing, served by the same server in the same run.

Then it checks, in the database: the hours logged are exactly those accepted (each entry is
found by its note, which is its key), every accepted status change is in the history and no
refused one is, every refusal was a 409, and no answer was a 5xx. Figures are printed, never
asserted here: they depend on the machine.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import click
import pyotp
import requests
import sqlalchemy as sa
from flask import current_app
from werkzeug.security import generate_password_hash

from tracker.accounts.models import User
from tracker.accounts.services import create_token
from tracker.accounts.twostep import SecretBox
from tracker.core.clock import today
from tracker.core.extensions import db
from tracker.core.permissions import Role
from tracker.history.models import HistoryEntry
from tracker.history.recording import to_json
from tracker.hours.models import TimeEntry
from tracker.plans.models import Action, Plan, Status

HOURS = ["0.25", "0.5", "1", "1.5", "2", "3"]
STATUSES = [status.value for status in Status]
# Status changes go to this many actions, shared by every editor: some meet a conflict.
CONTESTED_ACTIONS = 8
STATUS_SHARE = 0.2
# How long a write is sent again (same key) while it gets no answer or a 503.
RETRY_SECONDS = 30
TIMEOUT = 30  # seconds, for any one request
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Setup:
    """What the load needs: the plan, the editors' tokens, the viewers' credentials."""

    run: str
    plan_id: int
    year: int
    day: date  # the last day hours are logged on (today, or the plan's last day)
    first_day: date  # ...and the first: a year back at most, within the plan's period
    editor_ids: list[int]
    tokens: list[str]
    viewers: list[tuple[str, str, str]]  # email, password, authenticator secret
    action_ids: list[int]
    contested: dict[int, tuple[int, str]]  # action id: (version, status)


@dataclass
class Write:
    """One write as the client saw it: every answer it got, in order (0: none, the connection
    failed), and whether the last one was a replay of a first answer lost on the way."""

    kind: str  # "hours" or "status"
    key: str
    hours: Decimal | None = None
    action_id: int | None = None
    status: str | None = None
    answers: list[int] = field(default_factory=list)
    replayed: bool = False

    @property
    def final(self) -> int:
        return self.answers[-1] if self.answers else 0

    @property
    def accepted(self) -> bool:
        return self.final in (200, 201)


class Recorder:
    """Every request's time and answer, per kind, from every thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.samples: dict[str, list[tuple[float, int]]] = defaultdict(list)
        self.writes: list[Write] = []
        self.spans: dict[str, float] = {}

    def add(self, kind: str, seconds: float, status: int) -> None:
        with self.lock:
            self.samples[kind].append((seconds, status))


def prepare(plan_id: int | None, editors: int, viewers: int) -> Setup:
    """Make the accounts of one run in the app's database: editors with a token each, viewers
    with a password and two-step sign-in (so that they sign in whether the server requires it
    or not). Everyone's email names the run."""
    session = db.session
    if plan_id is None:
        plan_id = session.scalar(
            sa.select(Action.plan_id).group_by(Action.plan_id).order_by(sa.func.count().desc()).limit(1)
        )
    plan = session.get(Plan, plan_id) if plan_id is not None else None
    if plan is None:
        raise click.ClickException("no plan to load: name one with --plan, or seed one first")
    run = uuid.uuid4().hex[:8]
    box = SecretBox(current_app.config["TOTP_KEYS"])
    password = "load test " + uuid.uuid4().hex
    password_hash = generate_password_hash(password)
    editor_users, tokens, viewer_logins = [], [], []
    for n in range(editors):
        user = _user(plan, f"loadtest-{run}-editor-{n + 1}@loadtest.example", Role.EDITOR, "!")
        editor_users.append(user)
        tokens.append(create_token(session, user, f"load test {run}")[1])
    for n in range(viewers):
        user = _user(plan, f"loadtest-{run}-viewer-{n + 1}@loadtest.example", Role.VIEWER, password_hash)
        secret = pyotp.random_base32()
        user.totp_secret = box.seal(secret)
        viewer_logins.append((user.email, password, secret))
    session.flush()
    actions = session.execute(
        sa.select(Action.id, Action.version, Action.status)
        .where(Action.plan_id == plan.id, Action.archived_at.is_(None))
        .order_by(Action.id)
    ).all()
    if not actions:
        raise click.ClickException(f"plan {plan.id} has no open action to log hours on")
    day = min(today(), date(plan.end_year, 12, 31))
    first_day = max(date(plan.start_year, 1, 1), day - timedelta(days=364))
    setup = Setup(
        run=run,
        plan_id=plan.id,
        year=day.year,
        day=day,
        first_day=first_day,
        editor_ids=[user.id for user in editor_users],
        tokens=tokens,
        viewers=viewer_logins,
        action_ids=[row.id for row in actions],
        contested={row.id: (row.version, row.status.value) for row in actions[:CONTESTED_ACTIONS]},
    )
    session.commit()
    return setup


def _user(plan: Plan, email: str, role: Role, password_hash: str) -> User:
    user = User(
        organisation_id=plan.organisation_id,
        email=email,
        name=email.partition("@")[0],
        role=role,
        password_hash=password_hash,
        active=True,
    )
    db.session.add(user)
    return user


def retire(setup: Setup) -> None:
    """Deactivate the run's accounts once it is over: their tokens and sessions stop working."""
    ids = setup.editor_ids + list(
        db.session.scalars(sa.select(User.id).where(User.email.like(f"loadtest-{setup.run}-viewer-%")))
    )
    for user in db.session.scalars(sa.select(User).where(User.id.in_(ids))):
        user.active = False
    db.session.commit()


def sign_in(url: str, email: str, password: str, secret: str) -> requests.Session:
    """A session signed in through the sign-in form (and its code page, if asked for)."""
    http = requests.Session()
    form = http.get(url + "/signin", timeout=TIMEOUT)
    answer = http.post(
        url + "/signin",
        data={"email": email, "password": password, **_csrf(form.text)},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    if answer.status_code == 302 and "/signin/code" in answer.headers.get("Location", ""):
        page = http.get(url + "/signin/code", timeout=TIMEOUT)
        answer = http.post(
            url + "/signin/code",
            data={"code": pyotp.TOTP(secret).now(), **_csrf(page.text)},
            allow_redirects=False,
            timeout=TIMEOUT,
        )
    if answer.status_code != 302 or "/signin" in answer.headers.get("Location", ""):
        raise click.ClickException(f"{email} could not sign in (answer {answer.status_code})")
    return http


def _csrf(page: str) -> dict:
    found = _CSRF.search(page)
    return {"csrf_token": found.group(1)} if found else {}


def timed_get(http: requests.Session, url: str) -> tuple[float, int]:
    """How long ``url`` took and its status; 0 when no answer came (the connection failed)."""
    started = time.perf_counter()
    try:
        status = http.get(url, timeout=TIMEOUT, allow_redirects=False).status_code
    except requests.RequestException:
        status = 0
    return time.perf_counter() - started, status


def hammer(url: str, sessions: list[requests.Session], until: float, kind: str, recorder: Recorder) -> None:
    """Each session loads ``url`` one request after another until ``until``."""

    def loop(http):
        while time.monotonic() < until:
            recorder.add(kind, *timed_get(http, url))

    threads = [threading.Thread(target=loop, args=(http,), daemon=True) for http in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


class Editor:
    """One editor: a token, a pace, and what it last knew of the contested actions."""

    def __init__(self, number: int, url: str, token: str, setup: Setup, rate: float, recorder: Recorder):
        self.number = number
        self.url = url
        self.setup = setup
        self.interval = 1 / rate
        self.recorder = recorder
        self.known = dict(setup.contested)
        self.random = random.Random(f"{setup.run}-{number}")
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    def work(self, until: float) -> None:
        next_at = time.monotonic() + self.random.uniform(0, self.interval)
        count = 0
        while True:
            pause = next_at - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            if time.monotonic() >= until:
                return
            count += 1
            key = f"loadtest {self.setup.run} e{self.number}-{count}"
            if self.random.random() < STATUS_SHARE:
                self.change_status(key)
            else:
                self.log_hours(key)
            next_at += self.interval

    def log_hours(self, key: str) -> None:
        hours = self.random.choice(HOURS)
        # One in five on the plan's overall-management line, as people log it.
        action_id = None if self.random.random() < 0.2 else self.random.choice(self.setup.action_ids)
        path = (
            f"/api/v1/plans/{self.setup.plan_id}/management-hours"
            if action_id is None
            else f"/api/v1/actions/{action_id}/hours"
        )
        write = Write("hours", key, hours=Decimal(hours), action_id=action_id)
        # Spread over the days (a person logs at most 24 hours a day).
        span = (self.setup.day - self.setup.first_day).days
        spent_on = self.setup.first_day + timedelta(days=self.random.randint(0, span))
        self.send(write, path, {"date": spent_on.isoformat(), "hours": hours, "note": key})

    def change_status(self, key: str) -> None:
        action_id = self.random.choice(list(self.known))
        version, current = self.known[action_id]
        status = self.random.choice([status for status in STATUSES if status != current])
        write = Write("status", key, action_id=action_id, status=status)
        body = self.send(
            write, f"/api/v1/actions/{action_id}/status", {"status": status, "note": key, "version": version}
        )
        answer = (body or {}).get("current", body) or {}
        if isinstance(answer, dict) and "version" in answer:
            self.known[action_id] = (answer["version"], answer["status"])

    def send(self, write: Write, path: str, body: dict) -> dict | None:
        """Post ``body``; again with the same key while no answer or a 503 comes back."""
        deadline = time.monotonic() + RETRY_SECONDS
        headers = {"Idempotency-Key": write.key}
        while True:
            started = time.perf_counter()
            try:
                answer = self.http.post(self.url + path, json=body, headers=headers, timeout=TIMEOUT)
                status = answer.status_code
            except requests.RequestException:
                answer, status = None, 0
            self.recorder.add(write.kind, time.perf_counter() - started, status)
            write.answers.append(status)
            if status not in (0, 503) or time.monotonic() > deadline:
                break
            wait = answer.headers.get("Retry-After", "1") if answer is not None else "0.2"
            time.sleep(min(2.0, float(wait) if wait.replace(".", "", 1).isdigit() else 1.0))
        with self.recorder.lock:
            self.recorder.writes.append(write)
        if answer is None:
            return None
        write.replayed = answer.headers.get("Idempotent-Replayed") == "true"
        try:
            return answer.json()
        except ValueError:
            return None


def load(
    url: str,
    setup: Setup,
    *,
    seconds: float,
    rate: float,
    floor_seconds: float,
    during: Callable[[], None] | None = None,
) -> Recorder:
    """Run half the floor, the load for ``seconds`` (``during`` is called halfway through), and
    the other half of the floor: on a machine whose other work comes and goes, the floor is
    measured on both sides of the load it is compared with."""
    url = url.rstrip("/")
    recorder = Recorder()
    viewers = [sign_in(url, *login) for login in setup.viewers]
    floor = [requests.Session() for _ in viewers] if floor_seconds > 0 else []
    if floor:
        hammer(url + "/healthz", floor, time.monotonic() + floor_seconds / 2, "floor", recorder)
        recorder.spans["floor"] = floor_seconds
    started = time.monotonic()
    until = started + seconds
    editors = [
        Editor(n + 1, url, token, setup, rate / len(setup.tokens), recorder)
        for n, token in enumerate(setup.tokens)
        if rate > 0
    ]
    threads = [threading.Thread(target=editor.work, args=(until,), daemon=True) for editor in editors]
    dashboard = f"{url}/plans/{setup.plan_id}/dashboard?year={setup.year}"
    threads.append(
        threading.Thread(target=hammer, args=(dashboard, viewers, until, "dashboard", recorder), daemon=True)
    )
    for thread in threads:
        thread.start()
    if during is not None:
        time.sleep(seconds / 2)
        during()
    for thread in threads:
        thread.join()
    if floor:
        hammer(url + "/healthz", floor, time.monotonic() + floor_seconds / 2, "floor", recorder)
    # Rates are of requests started in the window (those under way at its end still finish).
    for kind in ("dashboard", "hours", "status"):
        recorder.spans[kind] = seconds
    return recorder


def percentile(ordered: list[float], share: float) -> float:
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 1)


def figures(recorder: Recorder) -> dict:
    """Requests a second and p50/p95/p99 (ms) of each kind of request, and what they answered."""
    result = {}
    for kind, samples in recorder.samples.items():
        times = sorted(seconds for seconds, _status in samples)
        statuses = defaultdict(int)
        for _seconds, status in samples:
            statuses[str(status)] += 1
        result[kind] = {
            "requests": len(samples),
            "per_second": round(len(samples) / recorder.spans[kind], 1),
            "p50_ms": percentile(times, 0.50),
            "p95_ms": percentile(times, 0.95),
            "p99_ms": percentile(times, 0.99),
            "answers": dict(sorted(statuses.items())),
        }
    if "dashboard" in result and "floor" in result:
        result["dashboard_floor_ratio"] = round(
            result["dashboard"]["per_second"] / result["floor"]["per_second"], 2
        )
    return result


def check(setup: Setup, recorder: Recorder, *, faults: bool = False) -> dict:
    """What the database holds against what the clients were told; ``problems`` lists every
    failed check. With ``faults`` (a worker killed, connections cut), reads that got no answer
    and 503s that a retry resolved are expected; a write saved but answered as failed is not."""
    db.session.rollback()
    writes = recorder.writes
    hours = [write for write in writes if write.kind == "hours"]
    statuses = [write for write in writes if write.kind == "status"]
    accepted_hours = {write.key: write.hours for write in hours if write.accepted}
    stored_rows = db.session.execute(
        sa.select(TimeEntry.note, TimeEntry.hours).where(TimeEntry.user_id.in_(setup.editor_ids))
    ).all()
    stored_hours = dict(stored_rows)
    changed = {write.key: write for write in statuses if write.accepted}
    stored_changes = dict(
        db.session.execute(
            sa.select(HistoryEntry.note, HistoryEntry.after).where(
                HistoryEntry.user_id.in_(setup.editor_ids),
                HistoryEntry.entity == "action",
                HistoryEntry.field == "status",
            )
        ).all()
    )
    problems = []
    accepted_sum = sum(accepted_hours.values(), Decimal(0))
    saved_sum = sum((row.hours for row in stored_rows), Decimal(0))
    if (
        saved_sum != accepted_sum
        or len(stored_rows) != len(accepted_hours)
        or set(stored_hours) != set(accepted_hours)
    ):
        problems.append(
            f"hours: {saved_sum} h saved in {len(stored_rows)} entries, "
            f"{accepted_sum} h accepted in {len(accepted_hours)}"
        )
    missing = [
        key for key, write in changed.items() if stored_changes.get(key) != to_json(Status(write.status))
    ]
    if missing:
        problems.append(f"status: {len(missing)} accepted changes are not in the history")
    refused = [write for write in statuses if not write.accepted]
    if any(write.final != 409 for write in refused):
        problems.append(f"status: refusals other than 409: {sorted({w.final for w in refused} - {409})}")
    saved_refused = [write.key for write in refused if write.key in stored_changes]
    if saved_refused:
        problems.append(f"status: {len(saved_refused)} refused changes are in the history")
    unanswered = [write for write in hours if not write.accepted]
    if unanswered:
        problems.append(
            f"hours: {len(unanswered)} writes not accepted: {sorted({w.final for w in unanswered})}"
        )
    # A write answered 5xx that a retry then found saved: the client was told it failed.
    told_failed = [w for w in writes if w.replayed and any(status >= 500 for status in w.answers)]
    if told_failed:
        problems.append(f"{len(told_failed)} writes were saved but answered as failed (5xx)")
    server_errors = defaultdict(int)
    no_answer = 0
    for kind, samples in recorder.samples.items():
        for _seconds, status in samples:
            if status >= 500 and not (faults and status == 503):
                server_errors[f"{kind} {status}"] += 1
            no_answer += status == 0
            if kind in ("dashboard", "floor") and status not in (0, 200) and status < 500:
                server_errors[f"{kind} {status}"] += 1
    if server_errors:
        problems.append(f"answers that are errors: {dict(server_errors)}")
    if no_answer and not faults:
        problems.append(f"{no_answer} requests got no answer")
    return {
        "hours_accepted": len(accepted_hours),
        "hours_accepted_sum": str(accepted_sum),
        "hours_saved_sum": str(saved_sum),
        "status_accepted": len(changed),
        "status_refused_409": sum(1 for write in refused if write.final == 409),
        "writes_retried": sum(1 for write in writes if len(write.answers) > 1),
        "writes_replayed": sum(1 for write in writes if write.replayed),
        "no_answer": no_answer,
        "problems": problems,
    }


def run(url, plan, editors, viewers, seconds, rate, floor_seconds, as_json) -> None:
    """The command: prepare, load, check, print; exit 1 when a check fails."""
    setup = prepare(plan, editors, viewers)
    click.echo(
        f"Load test {setup.run}: plan {setup.plan_id}, {editors} editors at {rate} writes/s in all, "
        f"{viewers} viewers, {seconds} s against {url} ...",
        err=True,
    )
    try:
        recorder = load(url, setup, seconds=seconds, rate=rate, floor_seconds=floor_seconds)
        measured = figures(recorder)
        checked = check(setup, recorder)
    except requests.RequestException as error:
        raise click.ClickException(f"{url} does not answer: {error}") from None
    finally:
        retire(setup)
    for kind in ("floor", "dashboard", "hours", "status"):
        if kind in measured:
            row = measured[kind]
            click.echo(
                f"{kind:<10} {row['per_second']:>8} req/s  p50 {row['p50_ms']:>7} ms  "
                f"p95 {row['p95_ms']:>7} ms  p99 {row['p99_ms']:>7} ms  answers {row['answers']}"
            )
    if "dashboard_floor_ratio" in measured:
        click.echo(f"dashboard / floor throughput: {measured['dashboard_floor_ratio']}")
    click.echo(
        f"hours: {checked['hours_accepted']} entries accepted ({checked['hours_accepted_sum']} h), "
        f"{checked['hours_saved_sum']} h saved; status: {checked['status_accepted']} accepted, "
        f"{checked['status_refused_409']} refused (409); {checked['writes_retried']} writes sent again"
    )
    for problem in checked["problems"]:
        click.echo(f"FAILED: {problem}", err=True)
    if not checked["problems"]:
        click.echo("All checks passed.")
    if as_json:
        settings = {"editors": editors, "viewers": viewers, "seconds": seconds, "rate": rate}
        click.echo(json.dumps({"run": setup.run, "plan": setup.plan_id, **settings, **measured, **checked}))
    if checked["problems"]:
        raise SystemExit(1)
