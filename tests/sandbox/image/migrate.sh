#!/bin/sh
# The sandbox image's migration entrypoint, doing what a real migration image does:
# `alembic upgrade head` on the environment's database, then, only on success, retag the built
# image <prefix>-<sha> as <prefix>-migrated-<sha> (same manifest, same digest).
#
# From the pod: IMAGE_SHA, DATABASE_URL (a Secret through envFrom); optionally TAG_PREFIX
# (default stage). From the image (the simulator's image map): REGISTRY_KIND (ecr | oci),
# REPOSITORY, REGISTRY_URL (oci), ALEMBIC_CONFIG, PGPASSFILE, AWS_* (moto).
set -eu

: "${IMAGE_SHA:?IMAGE_SHA is not set}"
: "${DATABASE_URL:?DATABASE_URL is not set (the database Secret)}"
prefix="${TAG_PREFIX:-stage}"
built="${prefix}-${IMAGE_SHA}"
migrated="${prefix}-migrated-${IMAGE_SHA}"

echo "migrate: alembic upgrade head for ${IMAGE_SHA}"
/usr/bin/python3 -m alembic -c "${ALEMBIC_CONFIG}" upgrade head
echo "migrate: database at head; tagging ${built} as ${migrated}"

case "${REGISTRY_KIND:-ecr}" in
  ecr)
    found=$(aws ecr batch-get-image --repository-name "${REPOSITORY}" \
      --image-ids imageTag="${built}" \
      --query 'images[0].[imageId.imageDigest,imageManifestMediaType]' --output text)
    digest=$(echo "${found}" | cut -f1)
    media_type=$(echo "${found}" | cut -f2)
    if [ -z "${digest}" ] || [ "${digest}" = "None" ]; then
      echo "migrate: ${REPOSITORY}:${built} not found" >&2
      exit 1
    fi
    # A rerun (a resubmitted Job) finds the tag already on this digest: done, as ECR would
    # otherwise answer ImageAlreadyExistsException.
    existing=$(aws ecr describe-images --repository-name "${REPOSITORY}" --image-ids imageTag="${migrated}" \
      --query 'imageDetails[0].imageDigest' --output text 2>/dev/null || true)
    if [ "${existing}" = "${digest}" ]; then
      echo "migrate: ${REPOSITORY}:${migrated} already names ${digest}"
      exit 0
    fi
    # The manifest's exact bytes: $(...) would drop a trailing newline and change the digest.
    tmp=$(mktemp -d)
    trap 'rm -rf "${tmp}"' EXIT
    aws ecr batch-get-image --repository-name "${REPOSITORY}" \
      --image-ids imageDigest="${digest}" --output json >"${tmp}/found.json"
    /usr/bin/python3 -c 'import json, sys
sys.stdout.write(json.load(open(sys.argv[1]))["images"][0]["imageManifest"])' \
      "${tmp}/found.json" >"${tmp}/manifest"
    # moto derives a digest of its own unless told the real one, which ECR computes.
    aws ecr put-image --repository-name "${REPOSITORY}" --image-tag "${migrated}" \
      --image-manifest "file://${tmp}/manifest" --image-manifest-media-type "${media_type}" \
      --image-digest "${digest}" >/dev/null
    ;;
  oci)
    accept='application/vnd.oci.image.index.v1+json,application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json,application/vnd.docker.distribution.manifest.list.v2+json'
    tmp=$(mktemp)
    headers=$(mktemp)
    trap 'rm -f "${tmp}" "${headers}"' EXIT
    curl -fsS -H "Accept: ${accept}" -D "${headers}" -o "${tmp}" \
      "${REGISTRY_URL}/v2/${REPOSITORY}/manifests/${built}"
    media_type=$(tr -d '\r' <"${headers}" | awk -F': ' 'tolower($1)=="content-type"{print $2}')
    curl -fsS -X PUT -H "Content-Type: ${media_type}" --data-binary "@${tmp}" \
      "${REGISTRY_URL}/v2/${REPOSITORY}/manifests/${migrated}" >/dev/null
    ;;
  *)
    echo "migrate: unknown REGISTRY_KIND ${REGISTRY_KIND}" >&2
    exit 2
    ;;
esac
echo "migrate: ${REPOSITORY}:${migrated} pushed"
