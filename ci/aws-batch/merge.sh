#!/bin/sh
# The merge step of an AWS Batch array job audit (run-shard.sh): submit it with a dependency on the array job
# (`--depends-on jobId=ARRAY_JOB_ID`, no type: it starts when every child has finished). RUN is the array job's id.
set -eu
work="$(mktemp -d)"
aws s3 cp --only-show-errors --recursive --exclude "*" --include "shard-*.json" "$RESULTS_S3_URI/$RUN/" "$work/"
cd "$work"
status=0
offshore-scan merge shard-*.json --format json --output organisation.json || status=$?
offshore-scan merge shard-*.json --format sarif --output organisation.sarif || true
offshore-scan evidence organisation.json --format html --output organisation-evidence.html || true
offshore-scan merge shard-*.json --format text || true
aws s3 cp --only-show-errors --recursive --exclude "*" --include "organisation*" . "$RESULTS_S3_URI/$RUN/"
exit "$status"
