"""Terraform: configuration directories (HCL) and plans (``terraform show -json``).

Both inputs are translated into ``ResourceRecord``s of the shared vocabulary (``providers.semantics``),
which gives them their meaning. The entry points are in ``adapter``; this package imports nothing
eagerly, so reading ``options`` never loads the HCL parser.
"""
