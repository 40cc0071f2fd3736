"""HTTP views of the panels app (thin: parse, call a service or selector, render)."""
