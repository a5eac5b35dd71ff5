#!/usr/bin/env python3
"""Checks incident feeds with Python's `feedparser`, as a feed reader would
read them.

Usage: check_feeds.py [--entries N] URL_OR_FILE...

Exits non-zero, saying why, when a feed is not well-formed (feedparser's
`bozo` flag), is neither RSS 2.0 nor Atom 1.0, has no self link, when an
entry lacks a title, a link, an id or a date, when two entries share an id,
when HTML in a title, summary or content still carries a <script>
element, or when a feed does not hold N entries.
"""
import sys

import feedparser


def fail(source, message):
    print(f"check_feeds: {source}: {message}", file=sys.stderr)
    sys.exit(1)


def check(source, expected):
    feed = feedparser.parse(source)
    if feed.bozo:
        fail(source, f"not well-formed: {feed.bozo_exception!r}")
    if feed.version not in ("rss20", "atom10"):
        fail(source, f"version is {feed.version!r}, not rss20 or atom10")
    links = feed.feed.get("links", [])
    if not any(link.get("rel") == "self" for link in links):
        fail(source, f"no self link among {links!r}")
    ids = set()
    for entry in feed.entries:
        for key in ("title", "link", "id"):
            if not entry.get(key):
                fail(source, f"an entry lacks {key}: {entry!r}")
        if not (entry.get("published_parsed") or entry.get("updated_parsed")):
            fail(source, f"{entry.id} has no date")
        if entry.id in ids:
            fail(source, f"id {entry.id} appears twice")
        ids.add(entry.id)
        # Markup counts only where a reader renders HTML; a plain-text title
        # that reads "<script>" is shown as those characters.
        details = [entry.get("title_detail"), entry.get("summary_detail")]
        details += entry.get("content", [])
        for detail in filter(None, details):
            html = detail.get("type") in ("text/html", "application/xhtml+xml")
            if html and "<script" in detail.get("value", "").lower():
                fail(source, f"{entry.id} carries a <script> element")
    if expected is not None and len(feed.entries) != expected:
        fail(source, f"{len(feed.entries)} entries, expected {expected}")
    print(f"check_feeds: {source}: {feed.version}, {len(feed.entries)} entries, valid")


def main():
    args = sys.argv[1:]
    expected = None
    if len(args) >= 2 and args[0] == "--entries":
        expected = int(args[1])
        args = args[2:]
    if not args:
        print("usage: check_feeds.py [--entries N] URL_OR_FILE...", file=sys.stderr)
        sys.exit(2)
    for source in args:
        check(source, expected)


if __name__ == "__main__":
    main()
