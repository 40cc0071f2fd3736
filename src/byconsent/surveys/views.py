"""HTTP views of the surveys app (thin: parse, call a service or selector, render)."""
