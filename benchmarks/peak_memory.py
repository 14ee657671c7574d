"""The planner's command in a fresh process that reports its own peak memory.

``python -c MEASURED PEAK_FILE ARGS...`` runs ``planner ARGS`` and writes its peak
resident size (kB) to PEAK_FILE. Not os.wait4's ru_maxrss: Linux carries the parent's
high-water mark over fork and exec, so a child of a large process (pytest) would report
the parent's size. VmHWM belongs to the address space that exec made new. The
bad-input suite and ``benchmarks.store_migrate`` both measure with it.
"""

MEASURED = """
import sys
from planner.cli import app
try:
    app(prog_name="planner", args=sys.argv[2:])
    code = 0
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else 1
with open("/proc/self/status", encoding="ascii") as status:
    peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
with open(sys.argv[1], "w", encoding="ascii") as report:
    report.write(peak)
sys.exit(code)
"""
