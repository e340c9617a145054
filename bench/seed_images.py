#!/usr/bin/env python3
"""Seed moto's ECR with COUNT images for bench/refresh_bench (the peak-RSS case).

Each image is its own manifest (its own digest), tagged stage-<40 hex>, as CI's builds are.
Runs with the pyenv python3 (boto3); the endpoint and credentials come from the arguments.

    python3 bench/seed_images.py ENDPOINT COUNT [--repository udab-server] [--threads 8]
"""
import argparse
import hashlib
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config


def manifest_for(sha: str) -> str:
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Env": [f"IMAGE_SHA={sha}"]}})
    layer = f"udab-server layer {sha}"
    return json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": len(config),
                   "digest": "sha256:" + hashlib.sha256(config.encode()).hexdigest()},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 31457280,
                    "digest": "sha256:" + hashlib.sha256(layer.encode()).hexdigest()}],
    }, indent=2)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("endpoint")
    p.add_argument("count", type=int)
    p.add_argument("--repository", default="udab-server")
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--threads", type=int, default=8)
    a = p.parse_args()
    ecr = boto3.client("ecr", endpoint_url=a.endpoint, region_name=a.region, aws_access_key_id="testing",
                       aws_secret_access_key="testing",
                       config=Config(max_pool_connections=a.threads, retries={"max_attempts": 5}))
    try:
        ecr.create_repository(repositoryName=a.repository)
    except ecr.exceptions.RepositoryAlreadyExistsException:
        pass

    def put(i: int) -> None:
        sha = hashlib.sha1(f"bench image {i}".encode()).hexdigest()
        ecr.put_image(repositoryName=a.repository, imageManifest=manifest_for(sha), imageTag=f"stage-{sha}")

    start = time.monotonic()
    with ThreadPoolExecutor(a.threads) as pool:
        for _ in pool.map(put, range(a.count)):
            pass
    print(f"seeded {a.count} images in {time.monotonic() - start:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
