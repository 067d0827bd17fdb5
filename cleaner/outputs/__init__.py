"""What a run writes: the typed output records (`records`) and the output folder (`files`)."""
