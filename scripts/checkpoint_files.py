"""Locating lip_driver checkpoints (shared by the scripts in this folder; docs/FORMATS.md)."""
import os
import sys


def checkpoint_path(given):
    """A checkpoint_*.h5 file as given, or the one a run directory's `latest` file names."""
    if os.path.isdir(given):
        latest = os.path.join(given, "latest")
        if not os.path.exists(latest):
            sys.exit(f"{given} is a directory without a `latest` file; pass a checkpoint_*.h5 file")
        return os.path.join(given, open(latest).read().strip())
    if not os.path.exists(given):
        sys.exit(f"{given}: no such checkpoint file or run directory")
    return given
