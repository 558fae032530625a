"""The default catalog: built from the seed and the pinned packages' data, committed, and loaded by `serve`."""
