"""HTTP views of the actions app (thin: parse, call a service or selector, render)."""
