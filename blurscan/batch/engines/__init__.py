"""Engines that run a batch's per-video work: this machine (processes) or a Ray cluster."""
