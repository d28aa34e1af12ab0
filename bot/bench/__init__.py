"""`make bench`: accuracy, speed and cost of the assistant measured against baselines in one run."""
