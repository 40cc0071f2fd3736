"""HTTP views of the insights app (thin: parse, call a service or selector, render)."""
