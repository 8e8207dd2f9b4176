#!/bin/sh
# One shard of an AWS Organization audit as an AWS Batch array job child: offshore-scan reads the shard index from
# AWS_BATCH_JOB_ARRAY_INDEX (--shard auto/N) and the result goes to S3 under the array job's id, where
# merge.sh finds every shard. See docs/org-scale.md.
#
# Environment: SHARDS (the array size), OFFSHORE_SCAN_ROLE_NAME (assumed in each member account),
# RESULTS_S3_URI (s3://bucket/prefix). The job role reads the organisation and assumes the member role; only this
# script's upload writes, with the AWS CLI, never offshore-scan.
set -eu
run="${AWS_BATCH_JOB_ID%%:*}"   # a child's id is PARENT:INDEX: every shard writes under the parent's id
out="$(mktemp -d)/shard-$AWS_BATCH_JOB_ARRAY_INDEX.json"
status=0
offshore-scan aws --org --role-name "$OFFSHORE_SCAN_ROLE_NAME" --shard "auto/$SHARDS" --quiet \
  --format json --output "$out" || status=$?
# Exit 1 (findings) and 2 (gaps) are the merge's to judge; anything else (no result) fails the child, to be retried.
if [ "$status" -gt 2 ] || [ ! -s "$out" ]; then
  echo "offshore-scan shard $AWS_BATCH_JOB_ARRAY_INDEX/$SHARDS wrote no result (exit $status)" >&2
  exit 3
fi
aws s3 cp --only-show-errors "$out" "$RESULTS_S3_URI/$run/shard-$AWS_BATCH_JOB_ARRAY_INDEX.json"
