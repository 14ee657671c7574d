"""Write output files so a reader never sees a half-written one.

Every write goes to a temporary file in the target's own directory (so the
final ``os.replace`` is a rename on one file system, which POSIX and Windows
both make atomic), is flushed to disk, and only then replaces the target. If
anything fails before that, the target keeps its old bytes and the temporary
file is removed. A temporary file that a killed run left behind is removed by the
next run that writes the same file.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import socket
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from planner.errors import InputError, Problem
from planner.i18n import t

__all__ = [
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "check_outputs",
    "ensure_not_input",
    "ensure_store_apart",
]

_OUT_FIX = "error.out.fix"  # catalogue key
# The longest name of one file or folder, in bytes, on every common file system
# (ext4, XFS, APFS, NTFS in UTF-16 units): a longer --out cannot be created anywhere.
_NAME_MAX = 255


@functools.cache
def _umask() -> int:
    # Reading the umask through os.umask briefly changes it for every thread,
    # so prefer the race-free /proc value where the platform offers it.
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _final_mode(target: Path) -> int:
    # mkstemp creates files readable by the owner only; an export must look like
    # any other file the user saves, and a re-export must keep the old mode.
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _fsync_dir(directory: Path) -> None:
    # Makes the rename itself durable; Windows cannot open directories, and
    # its rename is already journaled, so the step is skipped there.
    flags = getattr(os, "O_DIRECTORY", None)
    if flags is None:
        return
    try:
        fd = os.open(directory, os.O_RDONLY | flags)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it replaces ``path``.

    The temporary file exists (empty) when the block starts and keeps the
    target's suffix, so libraries that pick a format from the extension, or
    that insist on opening the file themselves (xlsxwriter), can write to it.
    If the block raises, the temporary file is deleted and ``path`` is left
    untouched. The parent directory is created if needed.
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_temps(target)
        fd, name = tempfile.mkstemp(
            prefix=f".{target.stem}.{_writer()}.", suffix=f".tmp{target.suffix}",
            dir=target.parent,
        )
    except OSError as exc:  # a file in the way, no permission, a name too long, a full disk
        raise InputError(Problem(t("error.out.cannot_write", detail=exc.strerror or exc),
                                 file=str(target), fix=t(_OUT_FIX))) from None
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        # Flush the bytes before the rename: otherwise a crash right after it
        # can leave the target name pointing at an empty file.
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp, _final_mode(target))
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def _host() -> str:
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def _writer() -> str:
    """Who writes a temporary file: this host and process (read back by the cleaner)."""
    return f"{_host()}-{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def _remove_stale_temps(target: Path) -> None:
    """Remove the temporary files of ``target`` that a killed run left behind.

    Only files written on this host by a process that no longer runs: a run writing
    the same file at this moment, here or on another host, keeps its own.
    """
    prefix, suffix = f".{target.stem}.", f".tmp{target.suffix}"
    try:
        entries = [e.name for e in os.scandir(target.parent)
                   if e.name.startswith(prefix) and e.name.endswith(suffix)]
    except OSError:
        return
    host = _host()
    for name in entries:
        writer = name[len(prefix):].split(".", 1)[0]
        owner_host, _, pid = writer.partition("-")
        if owner_host != host or not pid.isdigit() or _alive(int(pid)):
            continue
        with contextlib.suppress(OSError):
            (target.parent / name).unlink()


def atomic_write_bytes(path: Path | str, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one step."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: Path | str, text: str, encoding: str = "utf-8") -> None:
    """Replace ``path`` with ``text``; newlines are written exactly as given."""
    atomic_write_bytes(path, text.encode(encoding))


def _same_file(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    # Hard links and case-insensitive file systems give one file two names.
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def ensure_not_input(out_paths: Iterable[Path | str], input_paths: Iterable[Path | str]) -> None:
    """Raise ``InputError`` if any output would overwrite one of the inputs."""
    inputs = [Path(p) for p in input_paths]
    problems = [
        Problem(
            t("error.out.overwrites_input"), file=str(inp), fix=t("error.out.overwrites_input_fix"),
        )
        for out in map(Path, out_paths)
        for inp in inputs
        if _same_file(out, inp)
    ]
    if problems:
        raise InputError(problems)


def store_clash(store: Path | None, folder: Path | str,
                files: Iterable[Path | str]) -> str | None:
    """Why the history store cannot be kept where it is, or None when it is apart.

    A store file that is one of the run's ``files``, the ``folder`` they go in or a
    folder above it would be replaced by an output (or would block it), and the
    history would be lost.
    """
    if store is None:
        return None
    out = Path(folder)
    clash = next((Path(f) for f in files if _same_file(store, Path(f))), None)
    if clash is not None:
        return t("error.store.is_output", name=clash.name, out=out)
    if any(_same_file(store, above) for above in (out, *out.resolve().parents)):
        return t("error.store.holds_out", out=out)
    return None


def ensure_store_apart(store: Path | None, folder: Path | str,
                       files: Iterable[Path | str]) -> None:
    """Raise ``InputError`` (exit 2) when the store is where the run writes
    (``store_clash``): refused before anything is read, solved or written."""
    message = store_clash(store, folder, files)
    if message is not None:
        raise InputError(Problem(message, file=str(store), fix=t("error.store.is_output_fix")))


def check_outputs(folder: Path | str, files: Iterable[Path | str]) -> None:
    """Raise ``InputError`` unless every one of ``files`` can be written, before any is.

    ``folder`` (the --out folder) must be a folder or not exist yet under a
    folder that can hold it; each file must be a file or not exist yet. A run
    checks this before it plans, so a bad --out costs no solve and leaves no
    half of a run's outputs behind.
    """
    out = Path(folder)
    problems: list[Problem] = []
    too_long = next((part for path in (out, *map(Path, files)) for part in path.parts
                     if len(os.fsencode(part)) > _NAME_MAX), None)
    existing = None if too_long else next((p for p in (out, *out.parents) if p.exists()), None)
    if too_long is not None:
        problems.append(Problem(t("error.out.name_too_long", length=len(os.fsencode(too_long)),
                                  limit=_NAME_MAX, start=too_long[:40]),
                                file=str(out),
                                fix=t("error.out.name_too_long_fix")))
    elif existing is not None and not existing.is_dir():
        message = (t("error.out.is_file") if existing == out
                   else t("error.out.under_file", existing=existing))
        problems.append(Problem(message, file=str(out), fix=t(_OUT_FIX)))
    elif existing is not None and not os.access(existing, os.W_OK | os.X_OK):
        problems.append(Problem(t("error.out.read_only", existing=existing),
                                file=str(out), fix=t(_OUT_FIX)))
    elif existing is not None and existing != out and _cannot_create_in(existing):
        problems.append(Problem(t("error.out.cannot_create", existing=existing),
                                file=str(out), fix=t(_OUT_FIX)))
    else:
        for target in map(Path, files):
            if target.exists() and not target.is_file():
                kind = (t("error.store.a_folder") if target.is_dir()
                        else t("error.store.not_regular"))
                problems.append(Problem(
                    t("error.out.not_a_file", name=target.name, kind=kind),
                    file=str(target), fix=t("error.out.not_a_file_fix", target=target)))
    if problems:
        raise InputError(problems)


def _cannot_create_in(folder: Path) -> bool:
    """Whether a new folder cannot be made in ``folder`` (a pseudo file system: /proc, /sys)."""
    try:
        probe = tempfile.mkdtemp(prefix=".planner-probe.", dir=folder)
    except OSError:
        return True
    os.rmdir(probe)
    return False
