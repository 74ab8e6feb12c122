"""orderdesk benchmark harness (issue 10): data generator, throughput runs, the targets table.

Run `python -m bench` (or `make bench`); `--scale` picks the size. See docs/performance.md.
"""
