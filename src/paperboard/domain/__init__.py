"""Plain data and pure functions: papers, arXiv ids, links, ranking."""
