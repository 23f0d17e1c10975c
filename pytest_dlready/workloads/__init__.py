"""Training workloads, each run in its own subprocess (see ``runner``)."""
