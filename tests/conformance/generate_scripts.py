#!/usr/bin/python3
"""Writes alembic script directories for the conformance test and the alembic benchmark.

    generate_scripts.py OUT_DIR [--seed N] [--only NAME ...]

Every directory under OUT_DIR is one case; OUT_DIR/manifest.json lists them with the path mgate
reads (an alembic.ini or a plain directory), the alembic.ini the oracle reads, and the queries both
sides answer: upgrade paths from version-table states, revision lookups and stamps.

The output depends only on the seed: the same seed writes the same bytes, so a failure reproduces.
Revision files use every syntax variant mgate reads (plain and annotated assignments, tuples,
lists, multi-line collections with comments, both quote styles, docstring variants). Each revision
declares at most one depends_on, because alembic orders several dependencies of one revision in
Python set order, which changes from run to run.
"""

import argparse
import json
import os
import random

EPOCH = 1_700_000_000


class Rev:
    """One revision to write: its id, parents, labels, dependency, message and file placement."""

    def __init__(self, rid, down, message):
        self.id = rid
        self.down = list(down)
        self.labels = []
        self.deps = []
        self.message = message
        self.subdir = ""
        self.prefix = ""


class Writer:
    """Renders revisions as Python files, choosing a syntax variant per file from the seeded rng."""

    def __init__(self, rng):
        self.rng = rng

    def quote(self, text, q):
        return q + text.replace("\\", "\\\\").replace(q, "\\" + q) + q

    def collection(self, items, q, allow_scalar=True):
        if not items:
            return "None"
        r = self.rng.random()
        if len(items) == 1 and allow_scalar and r < 0.6:
            return self.quote(items[0], q)
        quoted = [self.quote(i, q) for i in items]
        if r < 0.75:
            return "(" + ", ".join(quoted) + ("," if len(items) == 1 else "") + ")"
        if r < 0.88:
            return "[" + ", ".join(quoted) + "]"
        lines = ["("]
        for i, item in enumerate(quoted):
            comment = "  # parent %d" % (i + 1) if self.rng.random() < 0.5 else ""
            lines.append("    " + item + "," + comment)
        lines.append(")")
        return "\n".join(lines)

    def docstring(self, rev, date):
        revises = ", ".join(rev.down)
        body = "%s\n\nRevision ID: %s\nRevises: %s\nCreate Date: %s\n\n" % (
            rev.message, rev.id, revises, date)
        r = self.rng.random()
        if r < 0.55:
            return '"""' + body + '"""'
        if r < 0.7:
            return "'''" + body + "'''"
        if r < 0.8:
            return 'r"""' + body + '"""'
        if r < 0.9:
            return '"""\n' + body + '"""'
        return '"""' + rev.message + '"""'

    def render(self, rev, index):
        rng = self.rng
        q = '"' if rng.random() < 0.5 else "'"
        annotated = rng.random() < 0.4
        date = "2024-%02d-%02d %02d:%02d:%02d.%06d" % (
            1 + index % 12, 1 + index % 28, index % 24, index % 60, (index * 7) % 60, index * 13 % 999999)
        out = []
        if rng.random() < 0.15:
            out.append("# -*- coding: utf-8 -*-")
        out.append(self.docstring(rev, date))
        if annotated:
            out.append("from typing import Sequence, Union")
            out.append("")
        out.append("from alembic import op")
        out.append("import sqlalchemy as sa")
        out.append("")
        out.append("")
        out.append("# revision identifiers, used by Alembic.")
        comment = "  # this revision" if rng.random() < 0.2 else ""
        down = self.collection(rev.down, q)
        labels = self.collection(rev.labels, q)
        deps = self.collection(rev.deps, q)
        if annotated:
            out.append("revision: str = %s%s" % (self.quote(rev.id, q), comment))
            out.append("down_revision: Union[str, Sequence[str], None] = %s" % down)
            out.append("branch_labels: Union[str, Sequence[str], None] = %s" % labels)
            if rev.deps or rng.random() < 0.8:
                out.append("depends_on: Union[str, Sequence[str], None] = %s" % deps)
        else:
            out.append("revision = %s%s" % (self.quote(rev.id, q), comment))
            out.append("down_revision = %s" % down)
            out.append("branch_labels = %s" % labels)
            if rev.deps or rng.random() < 0.8:
                out.append("depends_on = %s" % deps)
        out.append("")
        out.append("")
        out.append("def upgrade()%s:" % (" -> None" if annotated else ""))
        out.append("    revision = 'not-this-one'  # a local, not the module attribute")
        out.append("    op.execute(%s)" % self.quote("SELECT 1", q))
        out.append("")
        out.append("")
        out.append("def downgrade()%s:" % (" -> None" if annotated else ""))
        out.append("    pass")
        out.append("")
        return "\n".join(out)


class IdSource:
    """Unique revision ids: 12 hex digits, or words and gerrit-like ids for the non-hex cases."""

    WORDS = ["alfa", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
             "juliett", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo",
             "sierra", "tango", "uniform", "victor", "whiskey", "xray", "yankee", "zulu"]

    def __init__(self, rng, style):
        self.rng = rng
        self.style = style
        self.used = set()

    def next(self):
        while True:
            if self.style == "hex" or (self.style == "mixed" and self.rng.random() < 0.5):
                rid = "%012x" % self.rng.getrandbits(48)
            elif self.rng.random() < 0.5:
                rid = self.rng.choice(self.WORDS)
                if rid in self.used:
                    rid += str(self.rng.randint(2, 99))
            else:
                rid = "I%010x" % self.rng.getrandbits(40)
            if rid not in self.used:
                self.used.add(rid)
                return rid


def random_graph(rng, n, ids, branch=0.08, merge=0.08, label=0.4, dep=0.05, base=0.0, max_heads=6):
    """A random history: mostly linear, with branch points, merges, labels, depends_on, bases."""
    revs, tips = [], []
    children = {}
    label_no = 0
    for i in range(n):
        if not revs or rng.random() < base:
            down = []
        elif len(tips) >= 2 and (rng.random() < merge or len(tips) > max_heads):
            down = rng.sample(tips, 3 if len(tips) > 3 and rng.random() < 0.2 else 2)
        elif rng.random() < branch:
            down = [rng.choice(revs).id]
        else:
            down = [rng.choice(tips)]
        rev = Rev(ids.next(), down, "step %d of the history" % i)
        starts_branch = any(children.get(d) for d in down) and len(down) == 1
        if (starts_branch or not down) and rng.random() < label:
            label_no += 1
            rev.labels = ["line%d" % label_no]
            if rng.random() < 0.1:
                rev.labels.append("alias%d" % label_no)
        if revs and rng.random() < dep:
            target = rng.choice(revs)
            rev.deps = [target.labels[0] if target.labels and rng.random() < 0.5 else target.id]
        for d in down:
            children.setdefault(d, []).append(rev.id)
            if d in tips:
                tips.remove(d)
        tips.append(rev.id)
        revs.append(rev)
    return revs


def place(rng, revs, subdirs):
    """Spreads revisions over sub-folders and gives some files a date prefix, so file order
    differs from history order."""
    for i, rev in enumerate(revs):
        rev.subdir = rng.choice(subdirs)
        if rng.random() < 0.3:
            rev.prefix = "2024_%02d_%02d_%04d-" % (1 + i % 12, 1 + rng.randrange(28), rng.randrange(10000))


def write_files(root, revs, writer, extra_junk=True):
    for i, rev in enumerate(revs):
        folder = os.path.join(root, rev.subdir)
        os.makedirs(folder, exist_ok=True)
        slug = rev.message.split("\n")[0].lower().replace(" ", "_")[:30]
        name = "%s%s_%s.py" % (rev.prefix, rev.id, "".join(c for c in slug if c.isalnum() or c == "_"))
        with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
            f.write(writer.render(rev, i))
    if extra_junk:
        # Files alembic skips: not .py, an emacs lock, __init__.py, a __pycache__ folder.
        folder = os.path.join(root, revs[0].subdir) if revs else root
        os.makedirs(os.path.join(folder, "__pycache__"), exist_ok=True)
        for junk in ("README", "__init__.py", "notes.txt"):
            with open(os.path.join(folder, junk), "w") as f:
                f.write("# not a revision\n")


INI = """# generated for the conformance test
[alembic]
script_location = %(here)s/migrations
{extra}
[loggers]
keys = root
"""


def write_ini(path, extra_lines):
    with open(path, "w") as f:
        f.write(INI.replace("{extra}", "\n".join(extra_lines) + "\n"))


def queries(rng, revs, labels_by_id, heavy=True):
    """Version-table states, lookups and stamps for one case, drawn from its revisions."""
    ids = [r.id for r in revs]
    pick = lambda k: rng.sample(ids, min(k, len(ids)))
    upgrade = [[], ["deadbeefcafe"]]
    for _ in range(8 if heavy else 4):
        upgrade.append(pick(1))
    for _ in range(4 if heavy else 2):
        upgrade.append(pick(2))
    upgrade.append(pick(3))
    lookups = ["head", "heads", "base", "0000", "ab", "zzzzzz"]
    for rid in pick(6 if heavy else 3):
        lookups.append(rid)
        lookups.append(rid[:4])
        lookups.append(rid[:5])
    for rid in pick(3):
        lookups.append(rid[:3])
    labels = sorted({l for ls in labels_by_id.values() for l in ls})
    for label in labels[:4]:
        lookups += [label, label + "@head", label + "@heads", label + "@base"]
        lookups.append(label + "@" + rng.choice(ids)[:6])
    stamps = [{"rows": [], "targets": ["heads"]}, {"rows": [], "targets": ["base"]}]
    for _ in range(10 if heavy else 5):
        rows = rng.choice([[], pick(1), pick(1), pick(2)])
        targets = rng.choice([pick(1), pick(1), pick(2), ["heads"], ["base"], ["head"]])
        stamps.append({"rows": rows, "targets": targets})
    for label in labels[:2]:
        stamps.append({"rows": pick(1), "targets": [label + "@head"]})
    stamps.append({"rows": ["deadbeefcafe"], "targets": [ids[0]]})
    return {"upgrade": upgrade, "lookup": lookups, "stamp": stamps}


def case_dir(out, name):
    path = os.path.join(out, name)
    os.makedirs(os.path.join(path, "migrations", "versions"), exist_ok=True)
    return path


def standard_case(out, name, rng, revs, ini_extra=(), subdirs=("",), versions_root="migrations/versions",
                  heavy=True, junk=True):
    root = case_dir(out, name)
    place(rng, revs, list(subdirs))
    write_files(os.path.join(root, versions_root), revs, Writer(rng), extra_junk=junk)
    write_ini(os.path.join(root, "alembic.ini"), list(ini_extra))
    labels = {r.id: r.labels for r in revs}
    ini = os.path.join(root, "alembic.ini")
    return {"name": name, "scripts": ini, "alembic_ini": ini, "revisions": len(revs),
            "queries": queries(rng, revs, labels, heavy)}


def linear(rng, ids, n):
    revs = []
    for i in range(n):
        revs.append(Rev(ids.next(), [revs[-1].id] if revs else [], "linear step %d" % i))
    return revs


def hand_made(ids):
    """The shapes a reader gets wrong first: a labelled branch, a merge, an effective head, a
    dependency on a label, two bases joined by a dependency, a message over two lines."""
    a = Rev(ids.next(), [], "create users")
    b = Rev(ids.next(), [a.id], "create chores")
    c = Rev(ids.next(), [b.id], "branch one starts")
    c.labels = ["notifications"]
    d = Rev(ids.next(), [c.id], "branch one continues")
    e = Rev(ids.next(), [b.id], "branch two\nspans two lines")
    f = Rev(ids.next(), [d.id, e.id], "merge the branches")
    g = Rev(ids.next(), [], "second base")
    g.labels = ["billing"]
    h = Rev(ids.next(), [g.id], "billing needs users")
    h.deps = [a.id]
    i = Rev(ids.next(), [f.id], "after the merge")
    i.deps = ["billing"]
    j = Rev(ids.next(), [i.id], "depended on, so an effective head")
    k = Rev(ids.next(), [h.id], "billing tip depends on j")
    k.deps = [j.id]
    return [a, b, c, d, e, f, g, h, i, j, k]


def generate(out, seed, only):
    os.makedirs(out, exist_ok=True)
    cases = []

    def want(name):
        return not only or name in only

    def rng_for(name):
        return random.Random("%d:%s" % (seed, name))

    if want("linear"):
        rng = rng_for("linear")
        cases.append(standard_case(out, "linear", rng, linear(rng, IdSource(rng, "hex"), 12)))
    if want("hand_made"):
        rng = rng_for("hand_made")
        cases.append(standard_case(out, "hand_made", rng, hand_made(IdSource(rng, "hex"))))
    if want("branches"):
        rng = rng_for("branches")
        revs = random_graph(rng, 60, IdSource(rng, "hex"), branch=0.2, merge=0.0, label=0.7)
        cases.append(standard_case(out, "branches", rng, revs))
    if want("merges"):
        rng = rng_for("merges")
        revs = random_graph(rng, 80, IdSource(rng, "hex"), branch=0.2, merge=0.25, label=0.5)
        cases.append(standard_case(out, "merges", rng, revs))
    if want("depends_on"):
        rng = rng_for("depends_on")
        revs = random_graph(rng, 80, IdSource(rng, "hex"), branch=0.15, merge=0.1, dep=0.35, base=0.05)
        cases.append(standard_case(out, "depends_on", rng, revs))
    if want("non_hex"):
        rng = rng_for("non_hex")
        revs = random_graph(rng, 40, IdSource(rng, "words"), branch=0.15, merge=0.1, dep=0.1)
        cases.append(standard_case(out, "non_hex", rng, revs))
    if want("recursive"):
        rng = rng_for("recursive")
        revs = random_graph(rng, 50, IdSource(rng, "mixed"), branch=0.1, merge=0.1)
        cases.append(standard_case(out, "recursive", rng, revs, ["recursive_version_locations = true"],
                                   subdirs=("", "2024", "2024/03", "2025/01", "zz")))
    separators = {
        "locations_os": ("os", ":"),
        "locations_space": ("space", " "),
        "locations_semicolon": (";", ";"),
        "locations_colon": (":", ":"),
        "locations_legacy": (None, ", "),
    }
    for name, (key, sep) in separators.items():
        if not want(name):
            continue
        rng = rng_for(name)
        revs = random_graph(rng, 30, IdSource(rng, "mixed"), branch=0.1, merge=0.1, dep=0.1)
        places = ["%(here)s/migrations/versions", "%(here)s/more_versions", "%(here)s/absent"]
        extra = ["version_locations = " + sep.join(places)]
        if key is not None:
            extra.append("version_path_separator = " + key)
        cases.append(standard_case(out, name, rng, revs, extra, subdirs=("migrations/versions", "more_versions"),
                                   versions_root="", heavy=False, junk=False))
    if want("many_heads"):
        rng = rng_for("many_heads")
        revs = random_graph(rng, 40, IdSource(rng, "hex"), branch=0.35, merge=0.0, label=0.5, max_heads=12)
        cases.append(standard_case(out, "many_heads", rng, revs))
    for k in range(4):
        name = "random_%d" % k
        if want(name):
            rng = rng_for(name)
            revs = random_graph(rng, rng.randint(20, 150), IdSource(rng, "mixed"), branch=0.12, merge=0.1,
                                dep=0.08, base=0.03)
            cases.append(standard_case(out, name, rng, revs))
    if want("plain_dir"):
        rng = rng_for("plain_dir")
        case = standard_case(out, "plain_dir", rng, linear(rng, IdSource(rng, "hex"), 8))
        case["scripts"] = os.path.join(out, "plain_dir", "migrations", "versions")
        cases.append(case)
    if want("broken_dangling"):
        rng = rng_for("broken_dangling")
        revs = linear(rng, IdSource(rng, "hex"), 5)
        revs[3].down = ["0123456789ab"]
        case = standard_case(out, "broken_dangling", rng, revs, heavy=False)
        case["broken"] = True
        cases.append(case)
    if want("broken_cycle"):
        rng = rng_for("broken_cycle")
        revs = linear(rng, IdSource(rng, "hex"), 6)
        revs[2].down = [revs[4].id]
        case = standard_case(out, "broken_cycle", rng, revs, heavy=False)
        case["broken"] = True
        cases.append(case)
    if want("big"):
        rng = rng_for("big")
        revs = random_graph(rng, 2000, IdSource(rng, "hex"), branch=0.01, merge=0.01, label=0.5, dep=0.005)
        cases.append(standard_case(out, "big", rng, revs, heavy=False))
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump({"seed": seed, "cases": cases}, f, indent=1)
    return cases


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=20240302)
    parser.add_argument("--only", nargs="*", default=[])
    args = parser.parse_args()
    generate(args.out, args.seed, set(args.only))


if __name__ == "__main__":
    main()
