#!/usr/bin/env python3
"""Differential check of RRULE expansion against python-dateutil's rrule,
an independent, well-kept RFC 5545 engine (issue 16 A4).

Reads JSON lines from the file given, one case each:
  {"id": str, "rule": "RRULE:...", "dtstart": "YYYY-MM-DDTHH:MM:SS",
   "tz": IANA name or null, "limit": n, "got": [...]}
`got` is what the code under test expanded: local wall times
"YYYY-MM-DDTHH:MM:SS" (and, with "tz", "utc": [unix seconds]).
dateutil expands the same rule from the same DTSTART on local wall time
(as Google does: RFC 5545 with a TZID'd DTSTART), and the first `limit`
occurrences must agree, including the UTC instants in a DST-changing zone.
Prints every mismatch (at most 20) and a summary; exits 1 on any mismatch.
"""
import json
import sys
from datetime import datetime, timezone

try:
    from dateutil import rrule as du_rrule
    from dateutil import tz as du_tz
except ImportError:  # pragma: no cover
    print("dateutil_check: python-dateutil is not installed (make setup installs it)", file=sys.stderr)
    sys.exit(2)


def expand(case):
    start = datetime.fromisoformat(case["dtstart"])
    body = case["rule"].split(":", 1)[1]
    if case.get("tz") and "Z" in body:
        # A UTC UNTIL needs an aware DTSTART; dateutil still steps on the
        # zone's wall time, as RFC 5545 does with a TZID'd DTSTART.
        start = start.replace(tzinfo=du_tz.gettz(case["tz"]))
    rule = du_rrule.rrulestr(body, dtstart=start, forceset=False)
    out = []
    for d in rule:
        out.append(d.replace(tzinfo=None))
        if len(out) >= case["limit"]:
            break
    return out


def utc_of(local, zone):
    # RFC 5545: a wall time in a gap moves forward by the gap, an ambiguous
    # one takes the first (daylight) offset; dateutil's fold=0 does that.
    aware = local.replace(tzinfo=zone)
    if not du_tz.datetime_exists(aware):
        aware = du_tz.resolve_imaginary(aware)
    return int(aware.astimezone(timezone.utc).timestamp())


def main(path):
    cases = mismatches = unsynced = 0
    for line in open(path, encoding="utf-8"):
        case = json.loads(line)
        cases += 1
        want = expand(case)
        want_local = [d.strftime("%Y-%m-%dT%H:%M:%S") for d in want]
        if case.get("skip_unsynchronized") and (not want_local or want_local[0] != case["dtstart"]):
            # RFC 5545 3.8.5.3: a DTSTART the rule does not produce gives an
            # undefined set (Google keeps it as the first instance,
            # dateutil drops it): not comparable.
            unsynced += 1
            continue
        problem = None
        if want_local != case["got"]:
            first = next((i for i, (a, b) in enumerate(zip(want_local, case["got"])) if a != b),
                         min(len(want_local), len(case["got"])))
            problem = "occurrence %d: dateutil %s, ours %s (%d vs %d occurrences)" % (
                first, want_local[first:first + 1], case["got"][first:first + 1],
                len(want_local), len(case["got"]))
        elif case.get("until"):
            base = ";".join(p for p in case["rule"].split(":", 1)[1].split(";") if not p.startswith("COUNT="))
            until_rule = dict(case, rule="RRULE:%s;UNTIL=%s" % (base, case["until"]), limit=10**6)
            by_until = [d.strftime("%Y-%m-%dT%H:%M:%S") for d in expand(until_rule)]
            if by_until != want_local:
                problem = "UNTIL=%s gives %d occurrences, the COUNT sent %d" % (
                    case["until"], len(by_until), len(want_local))
        elif case.get("tz") and "utc" in case:
            zone = du_tz.gettz(case["tz"])
            # dateutil reads only a zone file's transitions, not its rule for
            # the years after them (~2037): compare the UTC instants before.
            n = sum(1 for d in want if d.year < 2037)
            want_utc = [utc_of(d, zone) for d in want[:n]]
            if want_utc != case["utc"][:n]:
                first = next(i for i, (a, b) in enumerate(zip(want_utc, case["utc"])) if a != b)
                problem = "UTC of occurrence %d (%s in %s): dateutil %d, ours %d" % (
                    first, want_local[first], case["tz"], want_utc[first], case["utc"][first])
        if problem:
            mismatches += 1
            if mismatches <= 20:
                print("MISMATCH %s: %s from %s: %s" % (case["id"], case["rule"], case["dtstart"], problem))
    print("dateutil_check: %d cases, %d compared, %d mismatches, %d skipped as unsynchronized "
          "(python-dateutil %s)" % (cases, cases - unsynced, mismatches, unsynced,
                                   __import__("dateutil").__version__))
    # Most cases must really be compared.
    return 1 if mismatches or cases - unsynced < cases // 2 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
