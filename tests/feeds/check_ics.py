#!/usr/bin/env python3
"""Checks a maintenance calendar with Python's `icalendar` package, as a
calendar app would read it.

Usage: check_ics.py FILE [EXPECTED_EVENTS]

Exits non-zero, saying why, when the file does not parse, when an event
lacks UID, DTSTAMP, DTSTART, DTEND or SUMMARY, ends before it starts, repeats
a UID, carries an RRULE that does not parse, or when the number of events is
not EXPECTED_EVENTS.
"""
import sys

import icalendar


def fail(message):
    print(f"check_ics: {message}", file=sys.stderr)
    sys.exit(1)


def main():
    if len(sys.argv) not in (2, 3):
        fail("usage: check_ics.py FILE [EXPECTED_EVENTS]")
    with open(sys.argv[1], "rb") as f:
        raw = f.read()
    try:
        calendar = icalendar.Calendar.from_ical(raw)
    except ValueError as e:
        fail(f"the calendar does not parse: {e}")
    if calendar.name != "VCALENDAR":
        fail(f"the top component is {calendar.name}, not VCALENDAR")
    if str(calendar.get("VERSION")) != "2.0":
        fail("VERSION is not 2.0")
    if not calendar.get("PRODID"):
        fail("PRODID is missing")
    events = calendar.walk("VEVENT")
    uids = set()
    for event in events:
        for prop in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY"):
            if event.get(prop) is None:
                fail(f"an event lacks {prop}: {event.to_ical().decode()}")
        uid = str(event["UID"])
        if uid in uids:
            fail(f"UID {uid} appears twice")
        uids.add(uid)
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        if end <= start:
            fail(f"{uid} ends ({end}) before it starts ({start})")
        if event.get("RRULE") is not None:
            rule = event["RRULE"]
            if not isinstance(rule, icalendar.vRecur) or "FREQ" not in rule:
                fail(f"{uid} has an RRULE without FREQ: {rule!r}")
    if len(sys.argv) == 3 and len(events) != int(sys.argv[2]):
        fail(f"{len(events)} events, expected {sys.argv[2]}")
    print(f"check_ics: {len(events)} events, valid")


if __name__ == "__main__":
    main()
