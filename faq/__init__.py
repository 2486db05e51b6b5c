"""Vietnamese text normalisation, the FAQ matcher and the FAQ content."""
