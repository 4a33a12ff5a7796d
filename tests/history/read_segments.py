#!/usr/bin/env python3
"""An independent reader of durable log segments, written from the format description alone (the bridge's
pkg/eventlog, docs/design.md "Durable log format"), sharing no code with the plugin:

  DIR/%016d.log  records back to back: uint32 LE payload length, uint32 LE CRC-32 (IEEE) of the payload,
                 the payload: JSON {"offset": N, "timestamp": NS, "type": "T", "payload": EVENT}

Usage: read_segments.py DIR COUNT. Checks every record's CRC and JSON, that offsets run 1..COUNT without a
gap from the first segment's name on, that each segment starts at the offset its name says, and that each
type and payload is the one write_sample_log derives from the offset. Exits non-zero naming the problem.
"""
import json
import os
import struct
import sys
import zlib

TYPES = ["m.room.message", "m.reaction", 'm."quoted" \u00e9']


def sample_record(offset):
    return {
        "type": TYPES[offset % 3],
        "timestamp": 1700000000000000000 + offset * 1000,
        "payload": {"n": offset, "price": 1.5, "text": "caf\u00e9 #%d" % offset},
    }


def segments(directory):
    """(first offset, path) of every file named DIGITS.log, by offset; other files are not segments."""
    found = []
    for name in os.listdir(directory):
        stem, dot, extension = name.partition(".")
        if dot and extension == "log" and stem.isdigit():
            found.append((int(stem), os.path.join(directory, name)))
    return sorted(found)


def records(path):
    with open(path, "rb") as segment:
        data = segment.read()
    position = 0
    while position < len(data):
        if len(data) - position < 8:
            raise ValueError("%s: %d stray bytes at %d" % (path, len(data) - position, position))
        length, crc = struct.unpack_from("<II", data, position)
        payload = data[position + 8:position + 8 + length]
        if len(payload) != length:
            raise ValueError("%s: record at %d cut short" % (path, position))
        if zlib.crc32(payload) != crc:
            raise ValueError("%s: CRC mismatch in record at %d" % (path, position))
        yield json.loads(payload.decode("utf-8"))
        position += 8 + length


def main():
    directory, count = sys.argv[1], int(sys.argv[2])
    found = segments(directory)
    if len(found) < 2:
        sys.exit("expected the writer to have rotated: %d segment(s)" % len(found))
    expected = found[0][0]
    for first, path in found:
        if first != expected:
            sys.exit("%s: named %d, but offset %d comes next" % (path, first, expected))
        for record in records(path):
            if record["offset"] != expected:
                sys.exit("%s: offset %d where %d was due" % (path, record["offset"], expected))
            want = sample_record(expected)
            for field in ("type", "timestamp", "payload"):
                if record[field] != want[field]:
                    sys.exit("%s: offset %d: %s %r, want %r" % (path, expected, field, record[field], want[field]))
            expected += 1
    if found[0][0] != 1 or expected != count + 1:
        sys.exit("read offsets %d..%d, want 1..%d" % (found[0][0], expected - 1, count))
    print("%d records in %d segments read back" % (count, len(found)))


if __name__ == "__main__":
    main()
