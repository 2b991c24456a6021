#!/usr/bin/env python3
"""The module boundaries of docs/ARCHITECTURE.md, checked over the tree.

LIBRARIES below is the allowed-dependency table (DESIGN.md section 5).  The
check fails when
  - a product file (outside tests/) is in no library's folder;
  - an `#include "x.h"` of a product file resolves to no product header, to
    a header of two libraries at once, to a library its library may not use,
    or to a header private to another library (PRIVATE, *_internal.h);
  - a library's meson.build compiles it with other libraries than the table
    lists (the table is what the compiler enforces: a library gets only the
    include folders of the libraries it lists);
  - the table or the include graph between libraries has a cycle;
  - docs/ARCHITECTURE.md does not name a library's folder and meson target.
With --build DIR it also compiles probes with the real compile commands
(DIR/compile_commands.json): for every library, a header of a library it may
not use must fail to compile, and a header of one it may use must compile.
--self-test runs the checker over a small synthetic tree that breaks each
rule once and fails unless every break is reported.

Usage: check_layout.py SOURCE_ROOT [--build BUILD_DIR] | --self-test
"""
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

# library -> (folder, libraries whose public headers it may include), bottom-up.
# A library's folder holds its sources and headers; PUBLIC_FOLDERS adds the
# folder a library exports when that is not its own (the raft glue exports
# raft/public/, quorum.h, only).
LIBRARIES = {
    "common": ("common", []),
    "protocol": ("protocol", ["common"]),
    "storage": ("storage", ["protocol", "common"]),
    "net": ("net", ["protocol", "common"]),
    "raft_core": ("raft/core", ["common"]),
    "raft": ("raft", ["raft_core", "storage", "net", "protocol", "common"]),
    "metadata_image": ("controller/image", ["protocol", "common"]),
    "controller": ("controller", ["metadata_image", "raft", "storage", "protocol", "common"]),
    "broker_config": ("broker/config", ["common"]),
    "replication_core": ("broker/replication", ["common"]),
    "purgatory": ("broker/purgatory", ["common"]),
    "replica": ("broker/replica", ["purgatory", "replication_core", "broker_config", "metadata_image",
                                   "storage", "net", "protocol", "common"]),
    "group": ("broker/group", ["replica", "replication_core", "broker_config",
                               "metadata_image", "storage", "net", "protocol", "common"]),
    "handlers": ("broker/handlers", ["group", "replica", "purgatory", "replication_core", "broker_config",
                                     "controller", "metadata_image", "raft", "storage", "net", "protocol",
                                     "common"]),
    "admin": ("broker/admin", ["handlers", "group", "replica", "purgatory", "replication_core", "broker_config",
                               "controller", "metadata_image", "raft", "storage", "net", "protocol",
                               "common"]),
    "node": ("cmd/node", ["admin", "handlers", "group", "replica", "purgatory", "replication_core",
                          "broker_config", "controller", "metadata_image", "raft", "storage", "net",
                          "protocol", "common"]),
    "cmd": ("cmd", ["node", "broker_config", "storage", "protocol", "common"]),
}

PUBLIC_FOLDERS = {"raft": ["raft/public"]}

# Headers other libraries may not include although their folder is reachable:
# header -> the libraries that may (besides its own).  Every *_internal.h is
# private to its library as well.
PRIVATE = {
    "raft/quorum_raft.h": ["node"],  # the glue's constructor: only the wiring builds the quorum
    "raft/raft_wire.h": [],          # Raft RPCs as Kafka messages: the glue's own
    "cmd/node/node.h": ["cmd"],      # the wiring: only main's `server` subcommand runs it
}

# Headers the compile probes always try in every library, besides one header
# of each library: the boundaries DESIGN.md section 5 names.  replica and
# group may use the controller's image but not the controller itself.
BOUNDARY_PROBES = ["controller/controller.h", "controller/image/metadata_image.h"]

# Folders that hold product code; tests/, deploy/, scripts/ and build dirs are not product.
PRODUCT_TOPS = ["common", "protocol", "storage", "net", "raft", "controller", "broker", "cmd"]

# meson dependency object -> library (internal ones; external ones are ignored).
MESON_DEP = {lib + "_dep": lib for lib in LIBRARIES}

INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def library_of(rel):
    """The library whose folder holds the file, or None."""
    best = None
    for lib, (folder, _) in LIBRARIES.items():
        for f in [folder] + PUBLIC_FOLDERS.get(lib, []):
            if os.path.dirname(rel) == f and (best is None or len(f) > len(best[1])):
                best = (lib, f)
    return best[0] if best else None


def product_files(root):
    out = []
    for top in PRODUCT_TOPS:
        for d, dirs, files in os.walk(os.path.join(root, top)):
            dirs[:] = [x for x in dirs if not x.startswith(".")]
            for f in files:
                if f.endswith((".c", ".h")):
                    out.append(os.path.relpath(os.path.join(d, f), root))
    return sorted(out)


def find_cycle(graph):
    """A cycle in {node: [nodes]} as a list, or None."""
    state = {}

    def visit(n, path):
        state[n] = 1
        for m in graph.get(n, []):
            if state.get(m) == 1:
                return path[path.index(m):] + [m] if m in path else [n, m]
            if m not in state:
                c = visit(m, path + [m])
                if c:
                    return c
        state[n] = 2
        return None

    for n in graph:
        if n not in state:
            c = visit(n, [n])
            if c:
                return c
    return None


def meson_library_deps(root):
    """library -> the internal libraries its meson.build compiles it with."""
    found = {}
    for lib, (folder, _) in LIBRARIES.items():
        path = os.path.join(root, folder, "meson.build")
        if not os.path.exists(path):
            continue
        text = open(path).read()
        lists = dict((m.group(1), m.group(2)) for m in
                     re.finditer(r"^(\w+)\s*=\s*\[([^\]]*)\]", text, re.M))
        target = "sluice_" + lib if lib != "cmd" else "sluice"
        m = re.search(r"(?:static_library|executable)\(\s*'%s'(.*?)(?:\n\S|\Z)" % re.escape(target),
                      text, re.S)
        if not m:
            continue
        call = m.group(1)
        d = re.search(r"dependencies:\s*(\[[^\]]*\]|\w+)", call)
        names = []
        if d:
            v = d.group(1)
            names = re.findall(r"\w+", lists.get(v, v) if not v.startswith("[") else v)
        found[lib] = sorted({MESON_DEP[n] for n in names if n in MESON_DEP} - {lib})
    return found


def check_tree(root):
    """Returns the list of violations of the table in the tree at root."""
    errors = []
    files = product_files(root)
    headers = {}
    for rel in files:
        lib = library_of(rel)
        if lib is None:
            errors.append("%s: in no library's folder (add it to a library in LIBRARIES)" % rel)
            continue
        if rel.endswith(".h"):
            headers.setdefault(os.path.basename(rel), []).append((lib, rel))

    c = find_cycle({lib: deps for lib, (_, deps) in LIBRARIES.items()})
    if c:
        errors.append("the dependency table has a cycle: %s" % " -> ".join(c))

    used = {lib: set() for lib in LIBRARIES}
    for rel in files:
        lib = library_of(rel)
        if lib is None:
            continue
        allowed = set(LIBRARIES[lib][1])
        text = open(os.path.join(root, rel), errors="replace").read()
        for name in INCLUDE_RE.findall(text):
            # The compiler looks next to the including file first.
            if os.path.exists(os.path.join(root, os.path.dirname(rel), name)):
                continue
            owners = headers.get(os.path.basename(name), [])
            owners = [o for o in owners if o[1].endswith("/" + name) or o[1] == name]
            if not owners:
                errors.append('%s: #include "%s" is no product header' % (rel, name))
                continue
            if len(owners) > 1:
                errors.append('%s: #include "%s" is ambiguous: %s' %
                              (rel, name, ", ".join(o[1] for o in owners)))
                continue
            olib, orel = owners[0]
            if olib == lib:
                continue
            if olib not in allowed:
                errors.append('%s (library %s): #include "%s" reaches library %s, which %s may '
                              "not use (allowed: %s)" % (rel, lib, name, olib, lib,
                                                         ", ".join(sorted(allowed)) or "none"))
                continue
            if orel.endswith("_internal.h") or lib not in PRIVATE.get(orel, [lib]):
                errors.append('%s (library %s): #include "%s" is private to library %s' %
                              (rel, lib, name, olib))
                continue
            used[lib].add(olib)

    c = find_cycle({lib: sorted(u) for lib, u in used.items()})
    if c:
        errors.append("include cycle between libraries: %s" % " -> ".join(c))

    for lib, deps in meson_library_deps(root).items():
        want = sorted(LIBRARIES[lib][1])
        if deps != want:
            errors.append("%s/meson.build compiles %s with %s, the table says %s" %
                          (LIBRARIES[lib][0], lib, deps, want))
    return errors


def check_docs(root):
    """docs/ARCHITECTURE.md names every library's folder and meson target."""
    path = os.path.join(root, "docs", "ARCHITECTURE.md")
    if not os.path.exists(path):
        return ["docs/ARCHITECTURE.md is missing"]
    text = open(path).read()
    errors = []
    for lib, (folder, _) in LIBRARIES.items():
        target = "sluice_" + lib if lib != "cmd" else "sluice"
        if "`%s/`" % folder not in text:
            errors.append("docs/ARCHITECTURE.md does not list folder %s/ (library %s)" %
                          (folder, lib))
        if "`%s`" % target not in text:
            errors.append("docs/ARCHITECTURE.md does not list target %s" % target)
    return errors


def compile_probes(root, build):
    """Compiles forbidden and allowed includes with each library's real flags.

    Returns (errors, report): report says, for each of BOUNDARY_PROBES, in
    which libraries it compiles and in which it is refused."""
    db = json.load(open(os.path.join(build, "compile_commands.json")))
    errors = []
    outcome = {rel: ([], []) for rel in BOUNDARY_PROBES}
    files = product_files(root)
    some_header = {}
    for rel in files:
        lib = library_of(rel)
        if (rel.endswith(".h") and lib and not rel.endswith("_internal.h") and
                rel not in PRIVATE and lib not in some_header):
            some_header[lib] = os.path.basename(rel)
    by_lib = {}
    for entry in db:
        src = os.path.normpath(os.path.join(entry["directory"], entry["file"]))
        rel = os.path.relpath(src, root)
        lib = library_of(rel)
        if lib and lib not in by_lib and not rel.startswith("tests"):
            by_lib[lib] = entry
    probes = sorted(some_header.items())
    # A private header (PRIVATE) must not even compile where it is not allowed.
    probes += [(library_of(rel), rel) for rel in sorted(PRIVATE)]
    probes += [(library_of(rel), rel) for rel in BOUNDARY_PROBES]
    with tempfile.TemporaryDirectory() as tmp:
        for lib, entry in sorted(by_lib.items()):
            for other, rel in probes:
                may = other == lib or other in LIBRARIES[lib][1]
                if rel in PRIVATE:
                    may = other == lib or lib in PRIVATE[rel]
                header = os.path.basename(rel)
                probe = os.path.join(tmp, "probe_%s_%s.c" % (lib, header))
                with open(probe, "w") as f:
                    f.write('#include "%s"\nint layout_probe;\n' % header)
                args = shlex.split(entry["command"]) if "command" in entry else entry["arguments"]
                cmd = [args[0]]
                skip = False
                for a in args[1:]:
                    if skip:
                        skip = False
                        continue
                    if a in ("-o", "-MF", "-MQ", "-c"):
                        skip = a != "-c"
                        continue
                    if a == entry["file"] or a.endswith(entry["file"]) or a in ("-MD",):
                        continue
                    cmd.append(a)
                cmd += ["-fsyntax-only", probe]
                ok = subprocess.run(cmd, cwd=entry["directory"], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL).returncode == 0
                if rel in outcome:
                    outcome[rel][0 if ok else 1].append(lib)
                if not may and ok:
                    errors.append('library %s compiles #include "%s" of library %s, which it may '
                                  "not use" % (lib, header, other))
                elif may and not ok:
                    errors.append('library %s cannot compile #include "%s" of library %s, which '
                                  "it may use" % (lib, header, other))
    report = ["probe %s: compiles in %s; refused in %s" %
              (rel, ", ".join(sorted(set(yes))) or "none", ", ".join(sorted(set(no))) or "none")
              for rel, (yes, no) in sorted(outcome.items())]
    return errors, report


def self_test():
    """Every rule, broken once in a synthetic tree, must be reported."""
    cases = {
        "forbidden library": ("broker/replica/bad.c", '#include "conn.h"\n', "may not use"),
        "private header": ("controller/bad.c", '#include "raft_wire.h"\n', "private"),
        "internal header": ("broker/handlers/bad.c", '#include "controller_internal.h"\n',
                            "private"),
        "unknown header": ("common/bad.c", '#include "nowhere.h"\n', "no product header"),
        "stray folder": ("broker/bad.c", "", "no library"),
        "wiring from below": ("broker/group/bad.c", '#include "node.h"\n', "may not use"),
        "raft core from controller": ("controller/bad.c", '#include "raft.h"\n', "may not use"),
        "glue header from handlers": ("broker/handlers/bad.c", '#include "quorum_raft.h"\n',
                                      "private"),
        "controller from replica": ("broker/replica/bad.c", '#include "controller.h"\n',
                                    "may not use"),
        "controller from group": ("broker/group/bad.c", '#include "controller.h"\n',
                                  "may not use"),
        "controller from the image": ("controller/image/bad.c", '#include "controller.h"\n',
                                      "may not use"),
    }
    base = {
        "common/a.h": "", "protocol/codec.h": '#include "a.h"\n',
        "broker/handlers/conn.h": "", "raft/raft_wire.h": "", "raft/core/raft.h": "",
        "raft/quorum_raft.h": "",
        "controller/controller_internal.h": "", "cmd/node/node.h": "",
        "broker/replica/ok.c": '#include "codec.h"\n#include "a.h"\n',
        "controller/controller.h": "", "controller/image/metadata_image.h": "",
        "broker/group/ok.c": '#include "metadata_image.h"\n',
        "broker/handlers/ok.c": '#include "controller.h"\n#include "metadata_image.h"\n',
    }
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        for path, text in base.items():
            os.makedirs(os.path.join(tmp, os.path.dirname(path)), exist_ok=True)
            open(os.path.join(tmp, path), "w").write(text)
        clean = check_tree(tmp)
        if clean:
            failures.append("the clean synthetic tree reports %s" % clean)
        for what, (path, text, expect) in cases.items():
            full = os.path.join(tmp, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            open(full, "w").write(text)
            errs = check_tree(tmp)
            os.remove(full)
            if not any(expect in e for e in errs):
                failures.append("%s: not reported (got %s)" % (what, errs))
    saved = LIBRARIES["common"]
    LIBRARIES["common"] = ("common", ["cmd"])
    try:
        if not any("cycle" in e for e in check_tree(tempfile.gettempdir() + "/nonexistent")):
            failures.append("a cycle in the table is not reported")
    finally:
        LIBRARIES["common"] = saved
    return failures


def main(argv):
    if argv[1:] == ["--self-test"]:
        failures = self_test()
        for f in failures:
            print("self-test:", f)
        print("self-test: %s" % ("FAILED" if failures else "every broken rule is reported"))
        return 1 if failures else 0
    if len(argv) not in (2, 4) or (len(argv) == 4 and argv[2] != "--build"):
        print(__doc__)
        return 2
    root = os.path.abspath(argv[1])
    errors = check_tree(root) + check_docs(root)
    if len(argv) == 4:
        probe_errors, report = compile_probes(root, os.path.abspath(argv[3]))
        errors += probe_errors
        for line in report:
            print(line)
    for e in errors:
        print(e)
    print("%d product files, %d libraries: %s" % (len(product_files(root)), len(LIBRARIES),
                                                   "%d violation(s)" % len(errors) if errors
                                                   else "every include within the table"))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
