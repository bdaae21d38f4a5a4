"""Token metrics (mirrors src/metrics/: the app and `npm run eval` compute the same numbers)."""


def levenshtein(a, b):
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def token_edit_distance(pred, ref):
    """Levenshtein distance over tokens / max(len(pred), len(ref)); 0 when both are empty."""
    n = max(len(pred), len(ref))
    return levenshtein(pred, ref) / n if n else 0.0
