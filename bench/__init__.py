"""Benchmarks: sportsfeed's figures beside baselines measured in the same run."""
