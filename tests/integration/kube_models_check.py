#!/usr/bin/python3
"""Round-trips everything the simulated cluster serves through the official Python models.

Usage: kube_models_check.py KUBECONFIG NAMESPACE [NAME_PREFIX]

For each kind (and its list) the raw JSON is fetched, deserialized into the kubernetes.client
model, serialized back, and compared with the raw JSON.
Prints one JSON report on stdout:

  {"kinds": {"Job": {"objects": N, "lost": [paths], "differences": [{path, raw, model}],
                     "errors": [text]}, ...},
   "application": {"objects": N, "names": [...], "problems": [text]}}

A lost path is one present (non-empty) in the raw JSON but gone after the round trip: a field
the model does not know.
List indexes are written "[]" ("items[].status.ready").
With NAME_PREFIX only the namespaced objects whose name starts with it are judged (and fetched
one by one), so objects other tests leave in the shared namespace cannot change the report;
namespaces are cluster-wide and always all judged.
Always exits 0: the C++ test judges the report.
"""

import datetime
import json
import sys

from kubernetes import client, config

_EMPTY = (None, {}, [])


class _Raw:
    """What ApiClient.deserialize reads: an object with the body in .data."""

    def __init__(self, data):
        self.data = data


def _as_datetime(text):
    """The instant a Kubernetes (RFC 3339) or isoformat timestamp names, or None."""
    if not isinstance(text, str) or len(text) < 20 or text[10:11] != "T":
        return None
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _same_scalar(raw, model):
    if raw == model and type(raw) is type(model):
        return True
    # An int the server wrote as 1 may come back as 1.0 only through a float field: still equal.
    if isinstance(raw, (int, float)) and isinstance(model, (int, float)) \
            and not isinstance(raw, bool) and not isinstance(model, bool):
        return raw == model
    # The model writes datetime.isoformat() ("+00:00"), the server RFC 3339 ("Z").
    a, b = _as_datetime(raw), _as_datetime(model)
    return a is not None and a == b


class _Comparison:
    """Walks the raw JSON and the round-tripped one side by side."""

    def __init__(self):
        self.lost = set()
        self.differences = []

    def walk(self, raw, model, path):
        if isinstance(raw, dict):
            if not isinstance(model, dict):
                self.differ(path, raw, model)
                return
            for key, value in raw.items():
                sub = f"{path}.{key}" if path else key
                if key not in model or model[key] is None:
                    # Empty values the model drops (a null, {} or []) are no loss.
                    if value not in _EMPTY:
                        self.lost.add(sub)
                    continue
                self.walk(value, model[key], sub)
            for key, value in model.items():
                if key not in raw and value not in _EMPTY:
                    self.differ(f"{path}.{key}" if path else key, None, value)
        elif isinstance(raw, list):
            if not isinstance(model, list) or len(raw) != len(model):
                self.differ(path, raw, model)
                return
            for r, m in zip(raw, model):
                self.walk(r, m, path + "[]")
        elif not _same_scalar(raw, model):
            self.differ(path, raw, model)

    def differ(self, path, raw, model):
        if len(self.differences) < 50:
            self.differences.append({"path": path, "raw": raw, "model": model})


def _round_trip(api_client, fetch, model_name, comparison, keep=None):
    """Fetches one raw body, checks it against its model, returns the parsed raw JSON.

    keep(item) picks the list items judged; the rest are dropped from both sides first.
    """
    response = fetch(_preload_content=False)
    body = response.data
    raw = json.loads(body)
    model = api_client.sanitize_for_serialization(api_client.deserialize(_Raw(body), model_name))
    if keep is not None and isinstance(raw.get("items"), list):
        items = model.get("items") or []
        if len(items) != len(raw["items"]):
            comparison.differ("items", len(raw["items"]), len(items))
            return raw
        mask = [keep(item) for item in raw["items"]]
        raw = dict(raw, items=[i for i, k in zip(raw["items"], mask) if k])
        model = dict(model, items=[i for i, k in zip(items, mask) if k])
    comparison.walk(raw, model, "")
    return raw


def _check_kind(api_client, keep, list_fetch, get_fetch, list_model, item_model):
    """Checks a kind's list and each of its (kept) items got one by one."""
    comparison = _Comparison()
    report = {"objects": 0, "errors": []}
    try:
        raw_list = _round_trip(api_client, list_fetch, list_model, comparison, keep)
        for item in raw_list.get("items") or []:
            meta = item.get("metadata", {})
            report["objects"] += 1
            try:
                _round_trip(api_client, get_fetch(meta.get("name"), meta.get("namespace")),
                            item_model, comparison)
            except Exception as e:  # noqa: BLE001 - every failure goes into the report
                report["errors"].append(f"get {meta.get('name')}: {type(e).__name__}: {e}")
    except Exception as e:  # noqa: BLE001
        report["errors"].append(f"list: {type(e).__name__}: {e}")
    report["lost"] = sorted(comparison.lost)
    report["differences"] = comparison.differences
    return report


def _application_problems(obj, where):
    """What an Application lacks of the object metadata every client relies on."""
    problems = []
    if obj.get("apiVersion") != "argoproj.io/v1alpha1":
        problems.append(f"{where}: apiVersion {obj.get('apiVersion')!r}")
    if obj.get("kind") != "Application":
        problems.append(f"{where}: kind {obj.get('kind')!r}")
    meta = obj.get("metadata") or {}
    for key in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp"):
        if not isinstance(meta.get(key), str) or not meta.get(key):
            problems.append(f"{where}: metadata.{key} {meta.get(key)!r}")
    if _as_datetime(meta.get("creationTimestamp")) is None:
        problems.append(f"{where}: creationTimestamp not RFC 3339")
    return problems


def _check_applications(namespace, keep):
    """Applications have no official model: check the raw JSON CustomObjectsApi returns."""
    api = client.CustomObjectsApi()
    args = ("argoproj.io", "v1alpha1", namespace, "applications")
    report = {"objects": 0, "names": [], "problems": []}
    try:
        raw_list = json.loads(api.list_namespaced_custom_object(*args, _preload_content=False).data)
        if raw_list.get("apiVersion") != "argoproj.io/v1alpha1" or \
                raw_list.get("kind") != "ApplicationList":
            report["problems"].append(
                f"list: apiVersion/kind {raw_list.get('apiVersion')!r} {raw_list.get('kind')!r}")
        if not (raw_list.get("metadata") or {}).get("resourceVersion"):
            report["problems"].append("list: no metadata.resourceVersion")
        for item in filter(keep, raw_list.get("items") or []):
            name = (item.get("metadata") or {}).get("name")
            report["objects"] += 1
            report["names"].append(name)
            report["problems"] += _application_problems(item, f"items[{name}]")
            got = json.loads(api.get_namespaced_custom_object(
                *args, name, _preload_content=False).data)
            report["problems"] += _application_problems(got, f"get {name}")
            if got != item:
                report["problems"].append(f"get {name}: differs from its list item")
    except Exception as e:  # noqa: BLE001
        report["problems"].append(f"{type(e).__name__}: {e}")
    report["names"].sort()
    return report


def main():
    kubeconfig, namespace = sys.argv[1], sys.argv[2]
    prefix = sys.argv[3] if len(sys.argv) > 3 else ""

    def keep(item):
        return ((item.get("metadata") or {}).get("name") or "").startswith(prefix)
    config.load_kube_config(config_file=kubeconfig)
    api_client = client.ApiClient()
    core = client.CoreV1Api(api_client)
    batch = client.BatchV1Api(api_client)
    apps = client.AppsV1Api(api_client)

    def namespaced(read):
        return lambda name, ns: (lambda **kw: read(name, ns, **kw))

    kinds = {
        "Namespace": (lambda **kw: core.list_namespace(**kw),
                      lambda name, ns: (lambda **kw: core.read_namespace(name, **kw)),
                      "V1NamespaceList", "V1Namespace"),
        "Pod": (lambda **kw: core.list_namespaced_pod(namespace, **kw),
                namespaced(core.read_namespaced_pod), "V1PodList", "V1Pod"),
        "Event": (lambda **kw: core.list_namespaced_event(namespace, **kw),
                  namespaced(core.read_namespaced_event), "CoreV1EventList", "CoreV1Event"),
        "Secret": (lambda **kw: core.list_namespaced_secret(namespace, **kw),
                   namespaced(core.read_namespaced_secret), "V1SecretList", "V1Secret"),
        "ConfigMap": (lambda **kw: core.list_namespaced_config_map(namespace, **kw),
                      namespaced(core.read_namespaced_config_map), "V1ConfigMapList",
                      "V1ConfigMap"),
        "Job": (lambda **kw: batch.list_namespaced_job(namespace, **kw),
                namespaced(batch.read_namespaced_job), "V1JobList", "V1Job"),
        "Deployment": (lambda **kw: apps.list_namespaced_deployment(namespace, **kw),
                       namespaced(apps.read_namespaced_deployment), "V1DeploymentList",
                       "V1Deployment"),
    }
    report = {"kinds": {kind: _check_kind(api_client, None if kind == "Namespace" else keep, *spec)
                        for kind, spec in kinds.items()},
              "application": _check_applications(namespace, keep)}
    json.dump(report, sys.stdout, indent=1, sort_keys=True, default=str)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
