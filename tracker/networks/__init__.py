"""Networks: what members share with them, rolled up by region and organisation."""
