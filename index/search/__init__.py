"""Search: parse a question, retrieve candidate passages, rank them, compose the answer."""
