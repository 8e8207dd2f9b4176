"""The live AWS adapter: read-only API calls, translated into records of the shared vocabulary.

``adapter.scan_aws`` is the entry point. boto3 is imported only here (and only when the ``aws`` command
runs), so static scans never pay for it.
"""
