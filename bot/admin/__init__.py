"""Staff tools on top of the catalogue and FAQs: imports, the admin web page, users."""
