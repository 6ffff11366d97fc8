"""The fetch policy's limits as the user reads them: the size limit in one unit (MiB)."""

from __future__ import annotations

import pytest

from index.errors import SourceError
from index.ingest.web import FetchPolicy


def test_the_default_size_limit_is_printed_as_it_is_set() -> None:
    policy = FetchPolicy()
    assert policy.max_bytes == 20 * 1024 * 1024
    with pytest.raises(SourceError) as refused:
        policy.check_size(policy.max_bytes + 1)
    # 20 MiB is 20.97 MB: printed in decimal megabytes it read "over the 21 MB limit".
    assert "over the 20 MiB limit" in str(refused.value)
    assert "MB" not in str(refused.value)


def test_sizes_are_printed_in_the_limits_unit() -> None:
    policy = FetchPolicy(max_bytes=5 * 1024 * 1024)
    with pytest.raises(SourceError, match=r"too large: 7\.5 MiB, over the 5 MiB limit"):
        policy.check_size(int(7.5 * 1024 * 1024))
    with pytest.raises(SourceError, match=r"too large: over 5\.0 MiB, over the 5 MiB limit"):
        policy.check_size(5 * 1024 * 1024 + 1, exact=False)
    policy.check_size(5 * 1024 * 1024)  # the limit itself is allowed
