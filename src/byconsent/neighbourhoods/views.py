"""HTTP views of the neighbourhoods app (thin: parse, call a service or selector, render)."""
