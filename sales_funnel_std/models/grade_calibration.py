"""Calibration of the BNDU grade against outcomes: pure functions, no ORM.

Plain unit tests: tests/test_grade_calibration.py.
"""

# fewer closed deals than this in a group: its win rate is not used for advice
MIN_CLOSED_DEALS = 10


def rate(closed, won):
    """Win rate in % of ``won`` among ``closed`` (None without closed deals)."""
    return 100.0 * won / closed if closed else None


def suggest_thresholds(histogram, min_closed=MIN_CLOSED_DEALS):
    """The (A, B) thresholds that best separate the outcomes of ``histogram``
    (``[(total, closed, won)]`` ascending), or None when history cannot tell.

    Every pair of cut points splits the totals into C < B ≤ … < A; the pair kept makes
    the smaller of the two gaps (A's win rate − B's, B's − C's) as large as possible, so
    each grade is won clearly more often than the one below. Each grade needs
    ``min_closed`` closed deals; a pair whose gaps are not both positive is never kept.
    """
    rows = list(histogram)
    # prefix sums: closed and won of rows[:i]
    closed_before, won_before = [0], [0]
    for _total, closed, won in rows:
        closed_before.append(closed_before[-1] + closed)
        won_before.append(won_before[-1] + won)

    def group(start, end):
        closed = closed_before[end] - closed_before[start]
        return closed, rate(closed, won_before[end] - won_before[start])

    best = None
    for cut_b in range(1, len(rows)):
        for cut_a in range(cut_b + 1, len(rows)):
            groups = [group(0, cut_b), group(cut_b, cut_a), group(cut_a, len(rows))]
            if any(closed < min_closed for closed, _rate in groups):
                continue
            (_c, rate_c), (_b, rate_b), (_a, rate_a) = groups
            gap = min(rate_a - rate_b, rate_b - rate_c)
            if gap > 0 and (best is None or gap > best[0]):
                best = (gap, rows[cut_a][0], rows[cut_b][0])
    return best and best[1:]
