"""HTTP views of the consultations app (thin: parse, call a service or selector, render)."""
