"""Look and feel: the base layout, GOV.UK Frontend components, form rendering and the site information pages."""
