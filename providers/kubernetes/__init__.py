"""Kubernetes: manifest files and directories, and rendered Helm or Kustomize output on stdin.

The entry points are in ``adapter``; this package imports nothing eagerly.
"""
