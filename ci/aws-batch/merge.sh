#!/bin/sh
# The merge step of an AWS Batch array job audit (run-shard.sh): submit it with a dependency on the array job
# (`--depends-on jobId=ARRAY_JOB_ID`, no type: it starts when every child has succeeded). RUN is the array job's id.
# A child succeeds whenever it wrote its result (findings and gaps included). One that could not, after every
# attempt, fails the array job, and Batch then fails this job without running it: run this script by hand (or
# from an EventBridge rule on the array job's FAILED state) with the same RUN, and the report names the shard and
# the accounts that are missing.
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
