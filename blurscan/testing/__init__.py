"""Media and models for tests, the demo and the benchmarks: synthetic clips with known blur, the Q-Align stand-in.

Nothing here is used by a scan; it ships with the package so ``blurscan demo`` and the benchmarks work anywhere.
"""
