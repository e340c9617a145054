#!/usr/bin/python3
"""Asks the real alembic (Debian's python3-alembic) about every case of a manifest; prints JSON.

    alembic_oracle.py MANIFEST.json > answers.json

For each case: heads, bases, the history order and the text lines of `alembic heads` and
`alembic history`, each revision's labels and flags, the upgrade path of `alembic upgrade heads`
from each version-table state (ScriptDirectory._upgrade_revs, what command.upgrade runs), revision
lookups (RevisionMap.get_revisions) and non-purge stamps (MigrationContext.stamp on an in-memory
SQLite database, the code path of command.stamp).

Two adjustments, both about order that alembic 1.8 leaves to chance:
- alembic 1.8 loads files in os.listdir order; alembic 1.10 sorts them and walks sub-folders when
  recursive_version_locations is true. The 1.10 listing is installed here (_load_revisions below is
  that version's), so the load order is defined; every other line of alembic runs unchanged.
- alembic prints branch labels from a Python set, in an order that changes between runs; the labels
  are printed sorted here, as mgate prints them.
"""

import io
import json
import os
import sys
import warnings

import sqlalchemy as sa
from alembic import util
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.base import Script

warnings.simplefilter("ignore")


def _list_py_dir(scriptdir, path):
    paths = []
    for root, dirs, files in os.walk(path, topdown=True):
        if root.endswith("__pycache__"):
            continue
        for filename in sorted(files):
            paths.append(os.path.join(root, filename))
        if not scriptdir._recursive:
            break
        dirs.sort()
    return paths


def _load_revisions(self):
    if self.version_locations:
        paths = [vers for vers in self._version_locations if os.path.exists(vers)]
    else:
        paths = [self.versions]
    dupes = set()
    for vers in paths:
        for file_path in _list_py_dir(self, vers):
            real_path = os.path.realpath(file_path)
            if real_path in dupes:
                continue
            dupes.add(real_path)
            script = Script._from_filename(self, os.path.dirname(real_path), os.path.basename(real_path))
            if script is not None:
                yield script


ScriptDirectory._load_revisions = _load_revisions


def script_directory(ini):
    config = Config(ini)
    script = ScriptDirectory.from_config(config)
    script._recursive = config.get_main_option("recursive_version_locations") == "true"
    # The map is memoized on first use; the bound generator is the patched one.
    script.revision_map._generator = script._load_revisions
    return script


def error_of(exc):
    text = str(exc)
    if "Multiple revisions start with" in text:
        kind = "ambiguous"
    elif "Multiple head" in text or "Multiple heads" in text:
        kind = "multiple_heads"
    elif "overlaps with other requested" in text:
        kind = "overlap"
    elif "Can't locate revision" in text or "No such revision" in text or "No such branch" in text:
        kind = "not_found"
    elif "is not a member of branch" in text:
        kind = "not_member"
    else:
        kind = "other"
    return {"error": kind, "message": text}


def describe(script):
    rmap = script.revision_map
    revisions = {}
    for rev in script.walk_revisions():
        rev.branch_labels = sorted(rev.branch_labels)  # printed sorted, see the module doc
        revisions[rev.revision] = {
            "labels": rev.branch_labels,
            "message": rev.doc,
            "is_head": rev.is_head,
            "is_real_head": rev._is_real_head,
            "is_base": rev.is_base,
            "is_branch_point": rev.is_branch_point,
            "is_merge_point": rev.is_merge_point,
            "children": sorted(rev.nextrev),
            "path": rev.path,
        }
    history = [rev.revision for rev in script.walk_revisions()]
    history_lines = [rev.cmd_format(False, include_branches=True, include_doc=True, include_parents=True)
                     for rev in script.walk_revisions()]
    heads_lines = [rev.cmd_format(False, include_branches=True, tree_indicators=False)
                   for rev in script.get_revisions(script.get_heads())]
    return {
        "heads": list(script.get_heads()),
        "real_heads": list(rmap._real_heads),
        "bases": list(script.get_bases()),
        "real_bases": list(rmap._real_bases),
        "history": history,
        "history_lines": history_lines,
        "heads_lines": heads_lines,
        "revisions": revisions,
    }


def upgrade_path(script, rows):
    try:
        steps = script._upgrade_revs("heads", tuple(rows))
        return {"path": [step.revision.revision for step in steps]}
    except Exception as exc:  # alembic's own error, recorded for comparison
        return error_of(exc)


def lookup(script, argument):
    try:
        revs = script.revision_map.get_revisions(argument)
        return {"ids": [r.revision for r in revs if r is not None]}
    except Exception as exc:
        return error_of(exc)


def stamp(script, rows, targets):
    engine = sa.create_engine("sqlite://")
    with engine.begin() as conn:
        context = MigrationContext.configure(conn)
        context._ensure_version_table()
        for row in rows:
            conn.execute(context._version.insert().values(version_num=row))
        try:
            context.stamp(script, targets)
        except Exception as exc:
            return error_of(exc)
        return {"rows": sorted(r[0] for r in conn.execute(context._version.select()))}


def answer(case):
    try:
        script = script_directory(case["alembic_ini"])
        out = describe(script)
    except Exception as exc:
        return error_of(exc)
    q = case.get("queries", {})
    out["upgrade"] = [upgrade_path(script, rows) for rows in q.get("upgrade", [])]
    out["lookup"] = [lookup(script, arg) for arg in q.get("lookup", [])]
    out["stamp"] = [stamp(script, s["rows"], s["targets"]) for s in q.get("stamp", [])]
    return out


def main():
    with open(sys.argv[1]) as f:
        manifest = json.load(f)
    answers = {case["name"]: answer(case) for case in manifest["cases"]}
    json.dump(answers, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
