"""Publishing leaderboards: families and ranks, intervals, paired significance, common items, pages."""
