"""Topic config changes through real clients against a single Sluice node:
AlterConfigs (33) and IncrementalAlterConfigs (44, KIP-339).

confluent-kafka: incremental_alter_configs when the installed version has it,
else alter_configs (whole-set replacement), sets retention.ms and
cleanup.policy; describe_configs shows them with source DYNAMIC_TOPIC_CONFIG;
removing retention.ms (DELETE, or leaving it out of an AlterConfigs set)
reverts it to a non-topic source; an invalid value gets INVALID_CONFIG, an
unknown topic UNKNOWN_TOPIC_OR_PARTITION, a broker resource INVALID_REQUEST.
IncrementalAlterConfigs v1 (what kafka-configs --alter sends) is also sent
raw: SET, APPEND to the list-type cleanup.policy, DELETE.  kafka-python's
KafkaAdminClient.alter_configs sets a value that describe_configs then shows.
Finally a broker-only node in front of a controller-only node forwards the
change to the active controller (KIP-590 style forwarding, KIP-919 listener).

Usage: test_alter_configs.py /path/to/sluice   (exit 0 pass, 1 fail, 77 skip)"""

import json
import os
import struct
import subprocess
import sys
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
sys.dont_write_bytecode = True

import harness  # noqa: E402
from harness import SluiceNode, Skip, TestFailure, check, wait_until  # noqa: E402

try:
    import confluent_kafka
    from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource, NewTopic
except ImportError as e:
    confluent_kafka = None
    CK_IMPORT_ERROR = e

try:
    import kafka
    from kafka import KafkaAdminClient
    from kafka.admin import ConfigResource as KpConfigResource, ConfigResourceType
except ImportError as e:
    kafka = None
    KP_IMPORT_ERROR = e

TOPIC = "cfg-topic"
KP_TOPIC = "cfg-kp"
RAW_TOPIC = "cfg-raw"
DYNAMIC_TOPIC = 1
node = None
admin = None


def need_ck():
    if confluent_kafka is None:
        raise Skip(f"confluent-kafka not importable: {CK_IMPORT_ERROR}")


def setup():
    global node, admin
    need_ck()
    node = SluiceNode(harness.binary_from_argv(), name="altercfg")
    node.start_ready()
    admin = AdminClient({"bootstrap.servers": node.bootstrap})
    fs = admin.create_topics([NewTopic(t, 1, 1) for t in (TOPIC, KP_TOPIC, RAW_TOPIC)],
                             operation_timeout=30, request_timeout=30)
    for t, f in fs.items():
        try:
            f.result(60)
        except Exception as e:  # noqa: BLE001
            raise TestFailure(f"create_topics {t}: {e!r}")


def describe(topic):
    res = ConfigResource(ConfigResource.Type.TOPIC, topic)
    try:
        return admin.describe_configs([res], request_timeout=30)[res].result(60)
    except Exception as e:  # noqa: BLE001
        raise TestFailure(f"describe_configs({topic}): {e!r}")


def source_of(entry):
    s = entry.source
    return s.value if hasattr(s, "value") else int(s)


def has_incremental():
    return hasattr(AdminClient, "incremental_alter_configs")


def alter(topic, configs, deletes=(), rtype=None):
    """Sets `configs` ({key: value}) and removes `deletes` on one resource;
    returns the future's exception or None."""
    rtype = rtype or ConfigResource.Type.TOPIC
    if has_incremental():
        from confluent_kafka.admin import AlterConfigOpType, ConfigEntry
        entries = [ConfigEntry(k, v, incremental_operation=AlterConfigOpType.SET)
                   for k, v in configs.items()]
        entries += [ConfigEntry(k, None, incremental_operation=AlterConfigOpType.DELETE)
                    for k in deletes]
        res = ConfigResource(rtype, topic, incremental_configs=entries)
        fut = admin.incremental_alter_configs([res], request_timeout=30)[res]
    else:
        # AlterConfigs replaces the whole override set: a deleted key is left out.
        res = ConfigResource(rtype, topic, set_config=configs)
        fut = admin.alter_configs([res], request_timeout=30)[res]
    try:
        fut.result(60)
        return None
    except confluent_kafka.KafkaException as e:
        return e.args[0]


def check_error(err, code, what):
    check(err is not None, f"{what}: succeeded, expected error {code}")
    check(err.code() == code, f"{what}: expected error {code}, got {err}")


def ck_set():
    need_ck()
    print(f"confluent-kafka {confluent_kafka.version()[0]}: "
          f"{'incremental_alter_configs' if has_incremental() else 'alter_configs'}")
    err = alter(TOPIC, {"retention.ms": "3600000", "cleanup.policy": "compact"})
    check(err is None, f"alter {TOPIC}: {err}")

    def shown():
        c = describe(TOPIC)
        return (c["retention.ms"].value == "3600000" and c["cleanup.policy"].value == "compact"
                and c)
    c = wait_until(shown, what="describe_configs shows the new values")
    for key in ("retention.ms", "cleanup.policy"):
        check(source_of(c[key]) == DYNAMIC_TOPIC,
              f"{key}: source {c[key].source}, expected DYNAMIC_TOPIC_CONFIG")
    check(source_of(c["segment.ms"]) != DYNAMIC_TOPIC, "segment.ms became a topic override")


def ck_delete():
    need_ck()
    err = alter(TOPIC, {"cleanup.policy": "compact"}, deletes=("retention.ms",))
    check(err is None, f"delete retention.ms: {err}")

    def reverted():
        c = describe(TOPIC)
        return source_of(c["retention.ms"]) != DYNAMIC_TOPIC and c
    c = wait_until(reverted, what="retention.ms back to its default")
    check(c["retention.ms"].value != "3600000", f"retention.ms still {c['retention.ms'].value}")
    check(c["cleanup.policy"].value == "compact", "cleanup.policy lost its override")


def ck_errors():
    need_ck()
    KE = confluent_kafka.KafkaError
    check_error(alter(TOPIC, {"retention.ms": "abc"}), KE.INVALID_CONFIG, "retention.ms=abc")
    check_error(alter(TOPIC, {"no.such.config": "1"}), KE.INVALID_CONFIG, "unknown config key")
    check_error(alter("no-such-topic", {"retention.ms": "1000"}), KE.UNKNOWN_TOPIC_OR_PART,
                "unknown topic")
    err = alter("1", {"log.retention.ms": "1000"}, rtype=ConfigResource.Type.BROKER)
    check_error(err, KE.INVALID_REQUEST, "broker resource")
    check("dynamic broker configs are not supported" in str(err), f"broker resource: {err}")
    # The failed requests changed nothing.
    c = describe(TOPIC)
    check(c["cleanup.policy"].value == "compact", "cleanup.policy changed by a failed request")


def uvarint(v):
    out = b""
    while v >= 0x80:
        out += bytes([(v & 0x7F) | 0x80])
        v >>= 7
    return out + bytes([v])


def cstr(s):
    if s is None:
        return b"\x00"
    b = s.encode()
    return uvarint(len(b) + 1) + b


def read_uvarint(buf, pos):
    shift = v = 0
    while True:
        b = buf[pos]
        pos += 1
        v |= (b & 0x7F) << shift
        if b < 0x80:
            return v, pos
        shift += 7


def raw_incremental(topic, ops, via=None):
    """IncrementalAlterConfigs v1 (flexible) with ops [(key, op, value)];
    returns [(error_code, error_message, resource_type, resource_name)]."""
    body = uvarint(2) + struct.pack(">b", 2) + cstr(topic) + uvarint(len(ops) + 1)
    for key, op, value in ops:
        body += cstr(key) + struct.pack(">b", op) + cstr(value) + b"\x00"
    body += b"\x00" + b"\x00" + b"\x00"  # resource tags, validate_only, request tags
    with (via or node).conn() as c:
        resp = c.request(44, 1, body, flexible_header=True)
    pos = 1 + 4  # response header tag buffer, throttle_time_ms
    n, pos = read_uvarint(resp, pos)
    out = []
    for _ in range(n - 1):
        code = struct.unpack_from(">h", resp, pos)[0]
        pos += 2
        ln, pos = read_uvarint(resp, pos)
        msg = resp[pos:pos + ln - 1].decode() if ln else None
        pos += max(ln - 1, 0)
        rtype = struct.unpack_from(">b", resp, pos)[0]
        pos += 1
        ln, pos = read_uvarint(resp, pos)
        name = resp[pos:pos + ln - 1].decode()
        pos += ln - 1 + 1  # name, tag buffer
        out.append((code, msg, rtype, name))
    return out


def raw_alter_v0(topic, configs, via=None):
    """AlterConfigs v0 setting `configs` on a topic; returns the results as
    raw_incremental does."""
    def kstr(v):
        b = v.encode()
        return struct.pack(">h", len(b)) + b
    body = struct.pack(">ib", 1, 2) + kstr(topic) + struct.pack(">i", len(configs))
    for k, v in configs.items():
        body += kstr(k) + kstr(v)
    body += b"\x00"
    with (via or node).conn() as c:
        resp = c.request(33, 0, body)
    (n,) = struct.unpack_from(">i", resp, 4)
    pos, out = 8, []
    for _ in range(n):
        code, ln = struct.unpack_from(">hh", resp, pos)
        pos += 4
        msg = resp[pos:pos + ln].decode() if ln >= 0 else None
        pos += max(ln, 0)
        rtype, ln = struct.unpack_from(">bh", resp, pos)
        pos += 3
        out.append((code, msg, rtype, resp[pos:pos + ln].decode()))
        pos += ln
    return out


def raw_incremental_v1():
    need_ck()
    r = raw_incremental(RAW_TOPIC, [("retention.ms", 0, "120000"),
                                    ("cleanup.policy", 2, "compact")])
    check(r == [(0, None, 2, RAW_TOPIC)], f"SET + APPEND: {r}")
    wait_until(lambda: describe(RAW_TOPIC)["cleanup.policy"].value == "delete,compact",
               what="APPEND compact to the default cleanup.policy")
    check(describe(RAW_TOPIC)["retention.ms"].value == "120000", "SET retention.ms")
    r = raw_incremental(RAW_TOPIC, [("cleanup.policy", 3, "delete"), ("retention.ms", 1, None)])
    check(r == [(0, None, 2, RAW_TOPIC)], f"SUBTRACT + DELETE: {r}")
    wait_until(lambda: (describe(RAW_TOPIC)["cleanup.policy"].value == "compact" and
                        source_of(describe(RAW_TOPIC)["retention.ms"]) != DYNAMIC_TOPIC),
               what="SUBTRACT delete and DELETE retention.ms")
    r = raw_incremental(RAW_TOPIC, [("retention.ms", 2, "5")])
    check(len(r) == 1 and r[0][0] == 40, f"APPEND to a LONG config: {r}")


def kp_alter():
    if kafka is None:
        raise Skip(f"kafka-python not importable: {KP_IMPORT_ERROR}")
    need_ck()
    a = KafkaAdminClient(bootstrap_servers=node.bootstrap, request_timeout_ms=30000)
    try:
        res = KpConfigResource(ConfigResourceType.TOPIC, KP_TOPIC,
                               configs={"retention.ms": "7200000"})
        resp = a.alter_configs([res])
        print(f"kafka-python alter_configs: {resp.resources}")
        check(len(resp.resources) == 1 and resp.resources[0][0] == 0,
              f"kafka-python alter_configs: {resp.resources}")
        res = KpConfigResource(ConfigResourceType.TOPIC, "no-such-topic",
                               configs={"retention.ms": "1"})
        resp = a.alter_configs([res])
        check(resp.resources[0][0] == 3, f"kafka-python unknown topic: {resp.resources}")
    finally:
        a.close()
    wait_until(lambda: describe(KP_TOPIC)["retention.ms"].value == "7200000",
               what="kafka-python's retention.ms visible")
    check(source_of(describe(KP_TOPIC)["retention.ms"]) == DYNAMIC_TOPIC, "kp source")


def forwarded():
    """process.roles=controller node 1 + process.roles=broker node 2: the
    broker is never the controller, so it must forward."""
    need_ck()
    sluice = harness.binary_from_argv()
    ctl = SluiceNode(sluice, name="fwd-controller1")
    brk = SluiceNode(sluice, name="fwd-broker2")
    voters = f"1@127.0.0.1:{ctl.controller_port}"
    cluster_id = subprocess.run([sluice, "random-uuid"], capture_output=True, text=True,
                                check=True).stdout.strip()
    ctl.overrides.update({"node.id": "1", "process.roles": "controller",
                          "controller.quorum.voters": voters,
                          "listeners": f"CONTROLLER://127.0.0.1:{ctl.controller_port}"})
    brk.overrides.update({"node.id": "2", "process.roles": "broker",
                          "controller.quorum.voters": voters,
                          "listeners": f"PLAINTEXT://127.0.0.1:{brk.kafka_port}"})
    for n in (ctl, brk):
        args = [sluice, "format", "--cluster-id", cluster_id]
        for k, v in list(n.overrides.items()) + [("log.dirs", n.data_dir)]:
            args += ["--override", f"{k}={v}"]
        out = subprocess.run(args, capture_output=True, text=True)
        check(out.returncode == 0, f"format {n.name}: {out.stdout}{out.stderr}")
    ctl.start()
    brk.start()
    try:
        brk.wait_ready()
        wait_until(lambda: len(brk.conn().metadata([])["brokers"]) == 1, 30,
                   what="the broker-only node in Metadata")
        # librdkafka sends CreateTopics / AlterConfigs to Metadata's controller id,
        # which a broker-only node reports as the (unreachable) controller node:
        # create with the CLI, alter with a raw request and kafka-python, which
        # send to the broker.
        out = subprocess.run([sluice, "topic", "create", "-b", brk.bootstrap, "fwd"],
                             capture_output=True, text=True, timeout=60)
        check(out.returncode == 0, f"topic create through the broker: {out.stdout}{out.stderr}")

        def overrides():
            url = f"http://127.0.0.1:{brk.admin_port}/v1/topics/fwd"
            with urllib.request.urlopen(url, timeout=10) as f:
                return json.load(f)["config_overrides"]
        r = raw_incremental("fwd", [("retention.ms", 0, "4242")], via=brk)
        check(r == [(0, None, 2, "fwd")], f"forwarded IncrementalAlterConfigs: {r}")
        wait_until(lambda: overrides() == {"retention.ms": "4242"}, 30,
                   what="forwarded retention.ms visible")
        r = raw_incremental("fwd", [("retention.ms", 0, "x")], via=brk)
        check(len(r) == 1 and r[0][0] == 40, f"forwarded retention.ms=x: {r}")
        r = raw_alter_v0("fwd", {"segment.ms": "600000"}, via=brk)
        check(r == [(0, None, 2, "fwd")], f"forwarded AlterConfigs: {r}")
        # AlterConfigs replaced the set: retention.ms is no longer overridden.
        wait_until(lambda: overrides() == {"segment.ms": "600000"}, 30,
                   what="forwarded AlterConfigs visible")
    finally:
        for n in (brk, ctl):
            rc = n.stop()
            check(rc == 0, f"{n.name}: SIGTERM exit status {rc}")


def teardown():
    rc = node.stop()
    check(rc == 0, f"SIGTERM: exit status {rc}, expected 0")


def main():
    cases = [
        ("start node, create topics", setup),
        ("confluent-kafka sets retention.ms and cleanup.policy", ck_set),
        ("confluent-kafka removes retention.ms", ck_delete),
        ("confluent-kafka errors", ck_errors),
        ("raw IncrementalAlterConfigs v1 SET/APPEND/SUBTRACT/DELETE", raw_incremental_v1),
        ("kafka-python alter_configs", kp_alter),
        ("stop node", teardown),
        ("forwarded by a broker-only node to the controller", forwarded),
    ]
    harness.run_tests(cases, keep_going=lambda: node is not None and node.running())


if __name__ == "__main__":
    main()
