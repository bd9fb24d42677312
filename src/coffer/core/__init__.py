"""Pure money and algorithms: no database, no web, standard library and numpy only."""
