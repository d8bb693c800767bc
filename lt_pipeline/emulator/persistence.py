"""An emulator that survives a restart: its whole state, snapshotted to a state folder and resumed
when it starts again.

What is saved: the `Venue` object graph as it stands (markets, books, resting and past orders,
trades and their settlement, balances and reservations, the event heap, the simulated traders and
every RNG, the clock — a simulated clock keeps its position, a real one carries on from now, the
venue catching up on what fell due while it was down), the API key store (with its seed, so keys
derive the same) and the api-key -> funder map. Not saved: the fault profile and every counter of
requests, statuses, faults and quotas (they start again), and the wire options (they come from the
command line each time).

How: the objects are pickled as they are, so an attribute another module adds is carried without a
change here; locks are pickled as fresh locks (a pickler dispatch entry), so no class needs a
`__getstate__`. The snapshot is taken under the wire lock, the venue's lock and the key store's lock,
so it is one consistent instant, and is written to a temporary file then `os.replace`d, so a crash
mid-write leaves the previous snapshot whole.

File `emulator.snapshot` in the state folder: a magic line, one JSON header line (format version,
when and by what it was saved, a SHA-256 of the payload, a summary, and the shape of every project
class in it), then the pickle. On start, a snapshot that is unreadable, truncated, of another
format version, or whose classes have since gained attributes the saved objects lack (without a
class-level default) is refused with one line saying so: start with `--fresh` to discard it. It is
never silently replaced by an empty venue, since the ledger would then disagree with the venue.
A lock file keeps two emulators off one folder. Pickles run code when loaded: only ever load a
state folder you wrote yourself.
"""

from __future__ import annotations

import _thread
import copyreg
import dataclasses
import hashlib
import inspect
import io
import json
import logging
import os
import pickle
import sys
import threading
import time
import types
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .auth import ApiKeyStore

log = logging.getLogger(__name__)

MAGIC = b"LT-EMULATOR-SNAPSHOT\n"
FORMAT_VERSION = 1
SNAPSHOT_FILE = "emulator.snapshot"
LOCK_FILE = "emulator.lock"
DEFAULT_INTERVAL_S = 5.0
MAX_LOCKED_SHARE = 0.1  # periodic saves back off so the locks are held at most ~10% of the time
PROJECT_PREFIX = "lt_pipeline."


class SnapshotError(Exception):
    """A state folder the emulator cannot resume from; the message is one line naming why."""


# ---- pickling ---------------------------------------------------------------------------------------


def _fresh_lock(lock: Any) -> tuple[Callable[[], Any], tuple]:
    return threading.Lock, ()


def _fresh_rlock(lock: Any) -> tuple[Callable[[], Any], tuple]:
    return threading.RLock, ()


class _StatePickler(pickle.Pickler):
    """Pickles locks as new locks and notes the attribute names of every project object it saves."""

    dispatch_table = copyreg.dispatch_table.copy()
    dispatch_table[_thread.LockType] = _fresh_lock
    dispatch_table[_thread.RLock] = _fresh_rlock
    dispatch_table[type(threading.RLock())] = _fresh_rlock  # the C RLock, whichever threading picked

    def __init__(self, file: Any) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.shapes: dict[type, set[str]] = {}

    def reducer_override(self, obj: Any) -> Any:
        cls = type(obj)
        if cls.__module__.startswith(PROJECT_PREFIX):
            names = self.shapes.setdefault(cls, set())
            names.update(getattr(obj, "__dict__", ()))
            names.update(s for s in _slots(cls) if hasattr(obj, s))
        return NotImplemented


def _slots(cls: type) -> list[str]:
    names: list[str] = []
    for klass in cls.__mro__:
        slots = klass.__dict__.get("__slots__", ())
        names.extend([slots] if isinstance(slots, str) else slots)
    return [n for n in names if n not in ("__dict__", "__weakref__")]


def _class_name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _class_of(name: str) -> type | None:
    module_name, _, qualname = name.partition(":")
    if not module_name.startswith(PROJECT_PREFIX):
        return None
    module = sys.modules.get(module_name)
    if module is None:
        try:
            module = __import__(module_name, fromlist=["_"])
        except ImportError:
            return None
    obj: Any = module
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj if isinstance(obj, type) else None


def _pickled(parts: dict[str, Any]) -> tuple[bytes, dict[type, set[str]]]:
    buffer = io.BytesIO()
    pickler = _StatePickler(buffer)
    pickler.dump(parts)
    return buffer.getvalue(), pickler.shapes


# ---- compatibility ------------------------------------------------------------------------------------


def _has_default(cls: type, name: str) -> bool:
    """True when reading `name` off an instance without it still gives a value (a class attribute
    that is not a slot), e.g. a dataclass field with a plain default, or a property."""
    try:
        attr = inspect.getattr_static(cls, name)
    except AttributeError:
        return False
    return not isinstance(attr, types.MemberDescriptorType)


_REFERENCE_SHAPES: dict[type, set[str]] | None = None


def _reference_shapes() -> dict[type, set[str]]:
    """Attribute names of the classes in a venue built now (what the current code expects)."""
    global _REFERENCE_SHAPES
    if _REFERENCE_SHAPES is None:
        from ..clock import SimulatedClock
        from .venue import Venue

        try:
            venue = Venue(SimulatedClock(datetime(2026, 1, 1, tzinfo=timezone.utc)), seed=0)
            keys = ApiKeyStore(0)
            keys.create("0x" + "11" * 20, 0)
            _REFERENCE_SHAPES = _pickled({"venue": venue, "keys": keys, "funders": {}})[1]
        except Exception:  # a venue that cannot be built here: check what the classes declare only
            log.warning("emulator state: no reference venue to compare a snapshot with", exc_info=True)
            return {}
    return _REFERENCE_SHAPES


def _expected_shape(cls: type) -> set[str] | None:
    """The attributes an instance of `cls` is expected to carry under the current code, or None if
    that cannot be told (then the class is not checked)."""
    reference = _reference_shapes().get(cls)
    if reference is not None:
        return reference
    if dataclasses.is_dataclass(cls):
        return {f.name for f in dataclasses.fields(cls)}
    slots = _slots(cls)
    return set(slots) if slots else None


def incompatibilities(saved_shapes: dict[str, list[str]]) -> list[str]:
    """What the current code expects that the saved objects lack: 'Class (a, b)' or 'Class (gone)'."""
    problems = []
    for name, saved in sorted(saved_shapes.items()):
        cls = _class_of(name)
        if cls is None:
            problems.append(f"{name} (gone)")
            continue
        expected = _expected_shape(cls)
        if expected is None:
            continue
        missing = sorted(n for n in expected - set(saved) if not _has_default(cls, n))
        if missing:
            problems.append(f"{cls.__qualname__} ({', '.join(missing)})")
    return problems


# ---- the state folder ---------------------------------------------------------------------------------


@dataclass
class Resumed:
    """What a snapshot held: serve `venue` (its clock is `venue.clock`) with these keys and funders."""

    venue: Any
    keys: ApiKeyStore
    funders: dict[str, str]
    header: dict[str, Any]

    def describe(self) -> str:
        summary = self.header.get("summary", {})
        parts = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in summary.items() if k != "clock")
        return f"saved {self.header.get('saved_at', '?')}, clock {summary.get('clock', '?')}: {parts}"


def _summary(venue: Any, keys: ApiKeyStore, funders: dict[str, str]) -> dict[str, Any]:
    counters = venue.counters() if hasattr(venue, "counters") else {}
    summary: dict[str, Any] = {
        "clock": venue.clock.now().isoformat() if hasattr(venue, "clock") else None,
        "markets": counters.get("markets"),
        "open_orders": counters.get("open_orders"),
        "trades": counters.get("trades"),
        "api_keys": len(keys),
        "funders": len(funders),
    }
    return {k: v for k, v in summary.items() if v is not None}


class StateDir:
    """One emulator's state folder: its snapshot, saved atomically, and the lock that keeps a second
    emulator off it while this one runs."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser().absolute()
        self._lock_file: Any = None
        self._save_lock = threading.Lock()

    @property
    def snapshot(self) -> Path:
        return self.path / SNAPSHOT_FILE

    def __repr__(self) -> str:
        return f"StateDir({str(self.path)!r})"

    # -- the folder lock --

    def acquire(self) -> StateDir:
        """Create the folder and lock it for this process; SnapshotError if another emulator has it."""
        if self._lock_file is not None:
            return self
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            handle = open(self.path / LOCK_FILE, "a+")
        except OSError as exc:
            raise SnapshotError(f"emulator state {self.path}: cannot use the folder: {exc}") from None
        try:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # no fcntl (Windows): no lock, as before
            pass
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            handle.close()
            raise SnapshotError(
                f"emulator state {self.path}: in use by another emulator (pid {holder}); stop it first"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._lock_file = handle
        for leftover in self.path.glob(f".{SNAPSHOT_FILE}.*.tmp"):  # a save cut short by a crash
            leftover.unlink(missing_ok=True)
        return self

    def release(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()  # closing drops the flock
            self._lock_file = None

    # -- snapshots --

    def discard(self) -> bool:
        """Remove the snapshot (`--fresh`); True if there was one."""
        try:
            self.snapshot.unlink()
            return True
        except FileNotFoundError:
            return False

    def save(self, ctx: Any) -> dict[str, Any]:
        """Snapshot the state behind a `WireContext` (venue, keys, funders) atomically; the header."""
        return self.save_parts(ctx.venue, ctx.keys, ctx.funders, held=[ctx.lock])

    def save_parts(
        self, venue: Any, keys: ApiKeyStore, funders: dict[str, str], *, held: list[Any] | tuple = ()
    ) -> dict[str, Any]:
        """Snapshot these parts atomically, holding `held` locks and the venue's and key store's."""
        with self._save_lock:
            with ExitStack() as stack:
                for lock in [*held, getattr(venue, "_lock", None), getattr(keys, "_lock", None)]:
                    if lock is not None:
                        stack.enter_context(lock)
                payload, shapes = _pickled({"venue": venue, "keys": keys, "funders": dict(funders)})
                summary = _summary(venue, keys, funders)
            header = {
                "format": "lt-emulator-snapshot",
                "format_version": FORMAT_VERSION,
                "saved_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "saved_by": f"pid {os.getpid()}, python {sys.version.split()[0]}",
                "payload_bytes": len(payload),
                "payload_sha256": hashlib.sha256(payload).hexdigest(),
                "summary": summary,
                "shapes": dict(sorted((_class_name(cls), sorted(names)) for cls, names in shapes.items())),
            }
            self.path.mkdir(parents=True, exist_ok=True)
            temporary = self.path / f".{SNAPSHOT_FILE}.{os.getpid()}.tmp"
            with open(temporary, "wb") as out:
                out.write(MAGIC)
                out.write(json.dumps(header, separators=(",", ":")).encode() + b"\n")
                out.write(payload)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.snapshot)
            _fsync_dir(self.path)
            return header

    def load(self) -> Resumed | None:
        """The saved state, or None when the folder holds no snapshot; SnapshotError when it holds
        one that cannot be resumed."""
        where = self.snapshot
        try:
            raw = where.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self._refusal(f"cannot be read ({exc})") from None
        if not raw.startswith(MAGIC):
            raise self._refusal("is not an emulator snapshot")
        header_end = raw.find(b"\n", len(MAGIC))
        try:
            header = json.loads(raw[len(MAGIC) : header_end]) if header_end > 0 else None
        except ValueError:
            header = None
        if not isinstance(header, dict):
            raise self._refusal("has an unreadable header")
        version = header.get("format_version")
        if version != FORMAT_VERSION:
            raise self._refusal(f"is format version {version!r}, this emulator reads version {FORMAT_VERSION}")
        payload = raw[header_end + 1 :]
        if len(payload) != header.get("payload_bytes") or hashlib.sha256(payload).hexdigest() != header.get("payload_sha256"):
            raise self._refusal("is truncated or corrupted (its checksum does not match)")
        problems = incompatibilities(header.get("shapes") or {})
        if problems:
            raise self._refusal(
                "was saved by an incompatible emulator version: its objects lack what the code now expects: "
                + "; ".join(problems[:5]) + ("; ..." if len(problems) > 5 else "")
            )
        try:
            parts = pickle.loads(payload)
        except Exception as exc:  # any unpickling failure means the code no longer fits the snapshot
            raise self._refusal(f"cannot be loaded by this emulator version ({type(exc).__name__}: {exc})") from None
        venue, keys, funders = (parts.get(k) if isinstance(parts, dict) else None for k in ("venue", "keys", "funders"))
        if not (hasattr(venue, "markets") and hasattr(venue, "clock")
                and isinstance(keys, ApiKeyStore) and isinstance(funders, dict)):
            raise self._refusal("does not hold a venue, a key store and a funder map")
        return Resumed(venue=venue, keys=keys, funders=funders, header=header)

    def _refusal(self, reason: str) -> SnapshotError:
        return SnapshotError(
            f"emulator state {self.snapshot} {reason}; start with --fresh to discard it "
            "(the ledger may then disagree with the venue)"
        )


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def open_state(path: str | os.PathLike[str], *, fresh: bool = False) -> tuple[StateDir, Resumed | None]:
    """Lock the folder, discard its snapshot when `fresh`, and load what is left (None: start anew).
    Raises SnapshotError (the folder is released again) when the snapshot cannot be resumed."""
    state = StateDir(path).acquire()
    try:
        if fresh:
            state.discard()
        return state, state.load()
    except BaseException:
        state.release()
        raise


# ---- saving while serving -------------------------------------------------------------------------------


@dataclass
class Snapshotter:
    """Saves the context's state every `interval_s` (when anything may have changed: a request was
    served or the venue processed an event) from a background thread, and once more on `stop`."""

    state: StateDir
    ctx: Any
    interval_s: float = DEFAULT_INTERVAL_S
    saves: int = 0
    last_error: str | None = None
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _token: Any = field(default=None, repr=False)
    _duration: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        if not self.interval_s > 0:
            raise ValueError(f"snapshot interval: expected seconds above 0, got {self.interval_s!r}")

    def start(self) -> Snapshotter:
        self.save()  # a fresh or resumed state is on disk from the first second
        self._thread = threading.Thread(target=self._run, name="lt-emulator-snapshots", daemon=True)
        self._thread.start()
        return self

    def _change_token(self) -> tuple[int, Any]:
        venue = self.ctx.venue
        events = venue.counters().get("events_processed") if hasattr(venue, "counters") else None
        try:
            requests = sum(self.ctx.request_counts.values())
        except RuntimeError:  # a first request of a new kind was being counted: something changed
            requests = -1 - self.saves
        return requests, events

    def save(self) -> bool:
        """One snapshot now; False (and `last_error` set, a warning logged) if it could not be written."""
        token = self._change_token()
        started = time.monotonic()
        try:
            self.state.save(self.ctx)
        except Exception as exc:  # disk full, permissions: keep serving, say so
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.warning("emulator state %s: snapshot failed: %s", self.state.path, self.last_error)
            return False
        self._duration = time.monotonic() - started
        self._token = token
        self.saves += 1
        self.last_error = None
        return True

    def _run(self) -> None:
        wait = self.interval_s
        while not self._stop.wait(wait):
            if self._change_token() != self._token:
                self.save()
            wait = max(self.interval_s, self._duration / MAX_LOCKED_SHARE)

    def stop(self) -> bool:
        """Stop the thread and save the final state; False if that last save failed."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=60)
        return self.save()
