"""HTTP views of the people app (thin: parse, call a service or selector, render)."""
