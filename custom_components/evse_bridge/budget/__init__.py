"""The site power budget: keep a building under its grid limit across every managed charger."""
