"""Kafka client steps of the system tests (tests/system/*.sh), with
confluent-kafka (run it with /usr/bin/python3: Debian's python3-confluent-kafka).

  kafka_check.py produce BOOTSTRAP TOPIC PREFIX COUNT
      produce PREFIX-00001 .. PREFIX-COUNT to partition 0 with acks=all; fails
      unless every message gets a delivery report without error
  kafka_check.py consume BOOTSTRAP TOPIC PREFIX:COUNT...
      read partition 0 from the beginning to its end; fails unless it holds
      exactly the values the produce steps wrote (each once, none missing,
      nothing else)

Exit status 0 on success, 1 with a message on failure."""

import collections
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))

from harness import TestFailure  # noqa: E402
import kclients  # noqa: E402


def values(prefix, count):
    return [f"{prefix}-{i:05d}".encode() for i in range(1, count + 1)]


def produce(bootstrap, topic, prefix, count):
    msgs = [(0, None, v) for v in values(prefix, int(count))]
    out = kclients.produce(bootstrap, topic, msgs, timeout=120)
    print(f"produced {len(msgs)} messages {prefix}-* to {topic} through {bootstrap} (acks=all), "
          f"offsets {min(out[0])}..{max(out[0])}")


def consume(bootstrap, topic, specs):
    want = collections.Counter()
    for s in specs:
        prefix, count = s.rsplit(":", 1)
        want.update(values(prefix, int(count)))
    total = sum(want.values())
    got = kclients.consume_all(bootstrap, topic, {0: total}, timeout=120)[0]
    have = collections.Counter(v for _, _, v in got)
    missing = want - have
    extra = have - want
    dups = [v for v, n in have.items() if n > 1]
    if missing or extra or dups:
        raise TestFailure(f"consume {topic}: {len(got)} messages; {sum(missing.values())} "
                          f"missing (e.g. {list(missing)[:3]}), {sum(extra.values())} unexpected "
                          f"(e.g. {list(extra)[:3]}), {len(dups)} duplicated (e.g. {dups[:3]})")
    offsets = [o for o, _, _ in got]
    if offsets != sorted(offsets) or len(set(offsets)) != len(offsets):
        raise TestFailure(f"consume {topic}: offsets not strictly increasing")
    print(f"consumed all {total} messages of {topic} through {bootstrap}")


def main(argv):
    try:
        if len(argv) == 5 and argv[0] == "produce":
            produce(*argv[1:])
        elif len(argv) >= 4 and argv[0] == "consume":
            consume(argv[1], argv[2], argv[3:])
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except TestFailure as e:
        print(f"kafka_check.py: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
