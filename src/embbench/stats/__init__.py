"""Statistics: bootstrap intervals and their compiled kernels, paired significance tests."""
