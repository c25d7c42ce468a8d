"""ezc_check.py — what the Python test scripts share (tests only): checks
counted and said as `ok - NAME` / `FAIL - NAME: DETAIL` lines, then
`SUITE: P passed, F failed` and the exit status (1 on any failure, or when
nothing was checked at all).

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "support"))
    from ezc_check import check, finish
    check("the value", got == want, f"got {got}")
    finish("suite")
"""
import sys

passed = failed = 0


def check(name, ok, detail=""):
    """Counts one check; returns whether it held."""
    global passed, failed
    if ok:
        passed += 1
        print(f"ok - {name}", flush=True)
    else:
        failed += 1
        print(f"FAIL - {name}: {detail}", flush=True)
    return bool(ok)


def counts():
    return passed, failed


def finish(suite):
    """Prints the summary and exits: 0 when every check held."""
    print(f"{suite}: {passed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed or not passed else 0)
