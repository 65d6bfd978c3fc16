"""Plain data and pure functions: papers, arXiv ids, links, periods, ranking, topics,
addresses, TeX. Nothing here does I/O or imports another paperboard package."""
